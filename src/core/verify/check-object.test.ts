import { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressMeter } from '../progress.js';
import type { ListedObject } from '../s3/remote.js';
import { checkObject, type CheckTurn, type ObjectCheckContext } from './check-object.js';

const FILES = 6;
let root: string;
const md5 = (data: string): string => createHash('md5').update(data).digest('hex');
const content = (i: number): string => `file ${i}\n`.repeat(i + 1);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'offsite-check-object-'));
  for (let i = 0; i < FILES; i++) await writeFile(join(root, `f${i}`), content(i));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('checkObject against the listing', () => {
  it('reads every file while the listing is still on its way, though only two turns run at once', async () => {
    // Given a listing that answers only once every file has been read, and two turns at a time
    let answer!: (objects: Map<string, ListedObject>) => void;
    const listed = new Promise<Map<string, ListedObject>>((resolve) => (answer = resolve));
    let read = 0;
    let allRead!: () => void;
    const everyFileRead = new Promise<void>((resolve) => (allRead = resolve));
    const limit = pLimit(2);
    const turn: CheckTurn = (work) =>
      limit(work).then((value) => {
        if (++read === FILES) allRead();
        return value;
      });
    const s3 = new S3Client({ region: 'us-east-1' }); // never asked: every object is proved by the listing
    const ctx: ObjectCheckContext = {
      s3,
      bucket: 'b',
      prefix: 'p/',
      root,
      download: false,
      forks: 2,
      partState: { attributes: 'unknown' },
      listed,
      meter: new ProgressMeter('compare', () => undefined, undefined),
      emit: () => undefined,
      signal: new AbortController().signal,
    };

    // When every file is checked
    const verdicts = Promise.all(Array.from({ length: FILES }, (_, i) => checkObject(`f${i}`, ctx, turn)));
    await everyFileRead;
    answer(new Map(Array.from({ length: FILES }, (_, i) => [`p/f${i}`, { size: content(i).length, etag: md5(content(i)) }])));

    // Then all were read before the listing came, and each is proved by its listed ETag
    expect((await verdicts).map((v) => [v.path, v.category, v.evidence])).toEqual(Array.from({ length: FILES }, (_, i) => [`f${i}`, 'match', ['ETag (MD5, single part)']]));
    s3.destroy();
  }, 30_000);
});
