import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, s3Client } from './helpers.js';

/** The request budget of a store, counted exactly by a proxy in front of moto. */
const BUCKET = 'counted-bucket';
const FILES = 50;

const fixture = useSandbox('s3-counted', { instance: false, countingProxy: true });
let s3: S3Client;
let source: string;

beforeAll(async () => {
  s3 = s3Client(fixture.sandbox);
  await createBucket(s3, BUCKET);
  source = join(fixture.work, 'source');
  await mkdir(join(source, 'sub'), { recursive: true });
  for (let i = 0; i < FILES; i++) await writeFile(join(source, 'sub', `f${i}.txt`), `file ${i}\n`.repeat(i + 1));
});

afterAll(async () => {
  s3?.destroy();
});

async function counted(args: string[]): Promise<Record<string, number>> {
  fixture.proxy!.reset();
  const result = await runCli('offsite', args, { env: fixture.env });
  expect(result.code, result.stderr).toBe(0);
  return Object.fromEntries(fixture.proxy!.counts());
}

describe('requests per file', () => {
  const url = `s3://${BUCKET}/counted`;

  it('new files: one PUT each, proved from the answer (no HEAD, no staging copy)', async () => {
    // One PUT per file, and one for the tree manifest restore reads (modes, mtimes, directories, symlinks).
    expect(await counted(['s3', source, url])).toEqual({ HeadBucket: 1, ListObjects: 2, PutObject: FILES + 1 });
  });

  it('nothing changed: the listing and the index of what was proved, nothing per object', async () => {
    expect(await counted(['s3', source, url])).toEqual({ HeadBucket: 1, ListObjects: 1 });
  });

  it('a touched but unchanged file costs one HEAD; a changed one is staged, proved, copied, and the copy removed', async () => {
    await utimes(join(source, 'sub', 'f1.txt'), new Date(), new Date(Date.now() - 60_000));
    await writeFile(join(source, 'sub', 'f2.txt'), 'FILE 2\n'.repeat(3)); // same size, other bytes
    expect(await counted(['s3', source, url])).toEqual({
      HeadBucket: 1,
      ListObjects: 3, // the destination, again after writing, the staging prefix to tidy
      HeadObject: 2, // f1 (same bytes: unchanged) and f2 (other bytes: replaced)
      PutObject: 2, // f2 to staging, and the tree manifest (f1's mtime and f2 changed)
      CopyObject: 1,
      DeleteObjects: 1,
      ListMultipartUploads: 1,
    });
  });

  it('verify --all of single-part objects: the listing only', async () => {
    expect(await counted(['verify', source, '--bucket', url, '--all', '--quiet'])).toEqual({ ListObjects: 1 });
  });
});
