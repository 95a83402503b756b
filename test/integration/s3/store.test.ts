import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeGuesser } from '../../../src/core/s3/content-type.js';
import { runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, head, incompleteUploads, listKeys, objectBytes, parseEvents, resultOf, s3Client } from './helpers.js';

const BUCKET = 'store-bucket';
const PREFIX = 'host/daily/';
const MiB = 1024 * 1024;

const fx = useSandbox('s3-store');
let s3: S3Client;
let source: string;

/** The files of the tree, by path below the source. */
const files: Record<string, Buffer> = {
  'dir with spaces/a file.txt': Buffer.from('hello, world\n'),
  'dir with spaces/nested deeper/deep.bin': pseudoRandom(300_000, 1),
  'ünïcødé ☃/naïve résumé.md': Buffer.from('# café\n'),
  'empty file': Buffer.alloc(0),
  "quote's \"and\" $dollar": Buffer.from('shell metacharacters\n'),
  'big/above the threshold.bin': pseudoRandom(6 * MiB + 123, 2),
};

beforeAll(async () => {
  s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
  source = join(fx.work, 'my source');
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(join(source, rel, '..'), { recursive: true });
    await writeFile(join(source, rel), data);
  }
  await mkdir(join(source, 'empty dir'));
  await symlink('empty file', join(source, 'a symlink'));
});

afterAll(async () => {
  s3?.destroy();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const crc32Base64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
};
const PARTS = ['--part-size', '5MB', '--multipart-threshold', '5MB'];

async function expectStoredExactly(expected: Record<string, Buffer>): Promise<void> {
  // Besides the files, the run's tree manifest (modes, mtimes, directories, symlinks) for offsite restore.
  expect(await listKeys(s3, BUCKET)).toEqual([...Object.keys(expected).map((rel) => `${PREFIX}${rel}`), `${PREFIX}.offsite/tree.json`].sort());
  for (const [rel, data] of Object.entries(expected)) {
    const key = `${PREFIX}${rel}`;
    expect((await objectBytes(s3, BUCKET, key)).equals(data), key).toBe(true);
    const info = await head(s3, BUCKET, key);
    expect(info.ContentLength, key).toBe(data.length);
    expect(info.ChecksumCRC32, key).toBe(crc32Base64(data));
    expect(info.Metadata?.sha256, key).toBe(sha256(data));
    // As the aws CLI sets it; S3's default where the name says nothing.
    expect(info.ContentType, key).toBe(contentTypeGuesser()(rel) ?? 'binary/octet-stream');
  }
  expect(await incompleteUploads(s3, BUCKET)).toEqual([]);
}

describe('offsite s3 <dir> s3://bucket/prefix', () => {
  it('stores a tree (nested, unicode, spaces, quotes, empty, multipart) and proves it object by object', async () => {
    const run = await runCli(
      'offsite',
      ['s3', source, `s3://${BUCKET}/host/daily`, '--json', ...PARTS, '--bwlimit', '8M', '--storage-class', 'STANDARD_IA', '--sse', 'AES256'],
      { env: fx.env },
    );
    expect(run.code, run.stderr).toBe(0);
    const events = parseEvents(run.stdout);
    expect(resultOf(events)).toMatchObject({ destination: `s3://${BUCKET}/${PREFIX}`, files: 6, uploaded: 6, unchanged: 0, verified: 6, skipped: 1, checksumAlgorithm: 'CRC32' });
    await expectStoredExactly(files);

    const big = await head(s3, BUCKET, `${PREFIX}big/above the threshold.bin`);
    expect(big.ChecksumType).toBe('FULL_OBJECT');
    expect(big.StorageClass).toBe('STANDARD_IA');
    expect(big.ServerSideEncryption).toBe('AES256');
    // The large file went up in two parts, recorded as a resource and completed.
    expect(events.filter((e) => e.kind === 'multipart-upload').map((e) => e.type)).toEqual(['resource-created', 'resource-released']);
    // Live progress: bytes against the total (rate and ETA appear once the rate is stable, which depends on the
    // machine's pace: their rules are tested with a driven clock in src/core/progress.test.ts); the limit held.
    const progress = events.filter((e) => e.type === 'progress' && e.phase === 'upload');
    expect(progress.some((e) => e.total && (e.bytes ?? 0) > 0)).toBe(true);
    expect(progress.every((e) => e.etaSeconds === undefined || e.bytesPerSecond !== undefined)).toBe(true);
    const upload = events.find((e) => e.type === 'phase-end' && e.phase === 'upload') as { elapsedMs?: number };
    expect(upload.elapsedMs).toBeGreaterThan(0.6 * ((6.6 * MiB) / (8 * MiB)) * 1000);
    expect(events.some((e) => e.type === 'warning' && /1 entry is not a regular file .*a symlink/.test(e.message ?? ''))).toBe(true);
    expect(events.some((e) => e.type === 'log' && /is not AWS: path-style/.test(e.message ?? ''))).toBe(true);
  });

  it('a second run with nothing changed sends nothing, and says so on plain output', async () => {
    const run = await runCli('offsite', ['s3', source, `s3://${BUCKET}/host/daily/`, ...PARTS], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`s3://${BUCKET}/${PREFIX}\n`);
    expect(run.stderr).toMatch(/stored 6 files .*: 0 sent \(0 B\), 6 unchanged; 6 verified \(CRC32 and MD5 of each write as S3 answered, size and ETag as listed\)/);
    expect(run.stderr).toMatch(/skip Upload: nothing changed/);
    expect(run.stderr).not.toMatch(/\x1b\[/); // no cursor codes off a TTY
  });

  it('--dry-run lists what would change and changes nothing', async () => {
    await writeFile(join(source, 'new.txt'), 'new\n');
    try {
      const before = await listKeys(s3, BUCKET);
      const run = await runCli('offsite', ['s3', source, `s3://${BUCKET}/host/daily`, '--dry-run', '--delete'], { env: fx.env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`upload ${PREFIX}new.txt\n`);
      expect(run.stderr).toMatch(/dry run: 1 of 7 files would be sent .* 0 objects removed; nothing was changed/);
      expect(await listKeys(s3, BUCKET)).toEqual(before);
    } finally {
      await unlink(join(source, 'new.txt'));
    }
  });

  it('a changed file is sent again; with --delete a file gone from the source is removed only after everything verified', async () => {
    const changed = Buffer.from('hello again, world\n');
    await writeFile(join(source, 'dir with spaces/a file.txt'), changed);
    await unlink(join(source, 'empty file'));
    const run = await runCli('offsite', ['s3', source, `s3://${BUCKET}/host/daily`, '--json', '--delete', ...PARTS], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    const events = parseEvents(run.stdout);
    expect(resultOf(events)).toMatchObject({ uploaded: 1, unchanged: 4, removed: 1, verified: 5 });
    const order = events.filter((e) => e.type === 'phase-end' || e.type === 'phase-start').map((e) => `${e.type}:${e.phase}`);
    expect(order.indexOf('phase-end:verify')).toBeLessThan(order.indexOf('phase-start:tidy'));
    const { 'empty file': _gone, ...rest } = files;
    await expectStoredExactly({ ...rest, 'dir with spaces/a file.txt': changed });
    expect(await readFile(join(source, 'dir with spaces/a file.txt'))).toEqual(changed);
  });

  it('SSE-KMS with a key and a storage class are applied to the stored objects', async () => {
    const run = await runCli('offsite', ['s3', source, `s3://${BUCKET}/kms`, '--json', ...PARTS, '--sse-kms-key-id', 'alias/backup-key', '--storage-class', 'GLACIER_IR'], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    expect(resultOf(parseEvents(run.stdout))).toMatchObject({ uploaded: 5, verified: 5 });
    for (const key of await listKeys(s3, BUCKET, 'kms/')) {
      const info = await head(s3, BUCKET, key);
      expect(info, key).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/backup-key', StorageClass: 'GLACIER_IR' });
    }
  });

  it('large files after the first are hashed while the ones before them are sent, and proved like every other', async () => {
    const dir = join(fx.work, 'large files');
    const large: Record<string, Buffer> = { 'a.bin': pseudoRandom(5 * MiB + 7, 31), 'b.bin': pseudoRandom(6 * MiB + 1, 32), 'c.bin': pseudoRandom(5 * MiB + 3, 33) };
    await mkdir(dir, { recursive: true });
    for (const [rel, data] of Object.entries(large)) await writeFile(join(dir, rel), data);
    const run = await runCli('offsite', ['s3', dir, `s3://${BUCKET}/large/`, '--json', ...PARTS], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    const events = parseEvents(run.stdout);
    expect((events.find((e) => e.type === 'phase-start' && e.phase === 'hash') as { title?: string }).title).toMatch(/^Checksum 1 files .*; 2 large files as they are sent$/);
    expect(resultOf(events)).toMatchObject({ files: 3, uploaded: 3, verified: 3 });
    for (const [rel, data] of Object.entries(large)) {
      const info = await head(s3, BUCKET, `large/${rel}`);
      expect((await objectBytes(s3, BUCKET, `large/${rel}`)).equals(data), rel).toBe(true);
      expect(info.ChecksumCRC32, rel).toBe(crc32Base64(data));
      expect(info.Metadata?.sha256, rel).toBe(sha256(data));
    }
    // What was proved is in the index: a second run reads nothing and sends nothing.
    const again = await runCli('offsite', ['s3', dir, `s3://${BUCKET}/large/`, '--json', ...PARTS], { env: fx.env });
    expect(again.code, again.stderr).toBe(0);
    expect(resultOf(parseEvents(again.stdout))).toMatchObject({ uploaded: 0, unchanged: 3 });
  });
});
