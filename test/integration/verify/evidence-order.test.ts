import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, s3Client } from '../s3/helpers.js';
import { checksummingClient, putMultipart, putObject, reportOf } from './helpers.js';

/**
 * Evidence S3 computed outranks evidence we wrote: an object whose bytes changed but whose x-amz-meta-sha256 still
 * names the original must never pass on the strength of that metadata.
 */
const BUCKET = 'evidence-order';
const MiB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const fx = useSandbox('evidence');
let plain: S3Client;
let summing: S3Client;

/** One byte of `data` flipped: what a corrupted re-upload holds. */
function corrupted(data: Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy[at] = copy[at]! ^ 0x40;
  return copy;
}

beforeAll(async () => {
  plain = s3Client(fx.sandbox);
  summing = checksummingClient(fx.sandbox);
  await createBucket(plain, BUCKET);
});

afterAll(async () => {
  plain?.destroy();
  summing?.destroy();
});

/** Writes the original locally, stores `stored` at the key with the original's SHA-256 as metadata, runs verify. */
async function verifyOne(name: string, original: Buffer, store: (key: string, metadata: Record<string, string>) => Promise<void>) {
  const dir = join(fx.work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'data.bin'), original);
  await store(`${name}/data.bin`, { sha256: sha256(original) });
  const result = await runCli('offsite', ['verify', dir, '--bucket', `s3://${BUCKET}/${name}`, '--all', '--json'], { env: fx.env });
  const report = reportOf(result.stdout);
  return { code: result.code, file: report.files[0]! };
}

describe('verify: S3-computed evidence is always checked; x-amz-meta-sha256 never stands in for it', () => {
  const original = pseudoRandom(20 * MiB, 1401);
  const bad = corrupted(original, 13 * MiB + 7);
  const parts = [8 * MiB, 8 * MiB, 4 * MiB];

  it('20 MB multipart with a composite CRC32, one byte corrupted, original sha256 metadata: differs (exit 3)', async () => {
    const { code, file } = await verifyOne('composite', original, (key, metadata) =>
      putMultipart(summing, BUCKET, key, bad, parts, { algorithm: 'CRC32', checksumType: 'COMPOSITE', metadata }),
    );
    expect(file.category).toBe('differ');
    expect(code).toBe(3);
    expect(file.reason).toMatch(/CRC32 composite checksum \(3 parts.*\) differs/);
    expect(file.reason).toMatch(/multipart ETag \(3 parts.*\) differs/);
    expect(file.evidence).toContain('x-amz-meta-sha256'); // it agreed, and that is not enough
  });

  it('the same without any S3 checksum: the recomputed -3 ETag differs', async () => {
    const { code, file } = await verifyOne('etag-only', original, (key, metadata) => putMultipart(plain, BUCKET, key, bad, parts, { metadata }));
    expect(file.category).toBe('differ');
    expect(code).toBe(3);
    expect(file.reason).toMatch(/^multipart ETag \(3 parts.*\) differs: [0-9a-f]{32}-3 here, [0-9a-f]{32}-3 in S3/);
  });

  it('a full-object CRC32 on a multipart object: differs, and the ETag is checked as well', async () => {
    const { code, file } = await verifyOne('full-object', original, (key, metadata) =>
      putMultipart(summing, BUCKET, key, bad, parts, { algorithm: 'CRC32', checksumType: 'FULL_OBJECT', metadata }),
    );
    expect(code).toBe(3);
    expect(file.evidence).toEqual(['CRC32 full-object checksum', 'multipart ETag (3 parts of 8.0 MiB)', 'x-amz-meta-sha256']);
  });

  it('a single-part object: the MD5 ETag differs although the metadata agrees', async () => {
    const small = pseudoRandom(300_000, 1402);
    const { code, file } = await verifyOne('single', small, (key, metadata) => putObject(plain, BUCKET, key, corrupted(small, 100), { metadata }));
    expect(code).toBe(3);
    expect(file.reason).toMatch(/^ETag \(MD5, single part\) differs/);
  });

  it('the other way round: S3 agrees but our metadata names other bytes: still a difference', async () => {
    const { code, file } = await verifyOne('metadata-wrong', original, (key) =>
      putMultipart(summing, BUCKET, key, original, parts, { algorithm: 'CRC32', checksumType: 'COMPOSITE', metadata: { sha256: sha256(bad) } }),
    );
    expect(code).toBe(3);
    expect(file.reason).toMatch(/^x-amz-meta-sha256 differs/);
    expect(file.evidence.slice(1)).toEqual(['CRC32 composite checksum (3 parts of 8.0 MiB)', 'multipart ETag (3 parts of 8.0 MiB)']);
  });

  it('an intact 20 MB multipart object matches on all three', async () => {
    const { code, file } = await verifyOne('intact', original, (key, metadata) =>
      putMultipart(summing, BUCKET, key, original, parts, { algorithm: 'CRC32', checksumType: 'COMPOSITE', metadata }),
    );
    expect(code).toBe(0);
    expect(file.evidence).toEqual(['CRC32 composite checksum (3 parts of 8.0 MiB)', 'multipart ETag (3 parts of 8.0 MiB)', 'x-amz-meta-sha256']);
  });
});
