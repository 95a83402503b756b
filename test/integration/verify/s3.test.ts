import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, s3Client } from '../s3/helpers.js';
import { checksummingClient, evidenceOf, putMultipart, putObject, reportOf, verdicts } from './helpers.js';

const BUCKET = 'verify-source';
const MiB = 1024 * 1024;

const fx = useSandbox('verify-s3');
let plain: S3Client;
let summing: S3Client;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function local(root: string, path: string, data: Buffer): Promise<Buffer> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), data);
  return data;
}

/** The expected strongest evidence per file of the main tree, i.e. what each object really has. */
/** Single-part objects are proved by their listed ETag (the MD5) alone; the others by all they have, after a HEAD. */
const EXPECTED: Record<string, string[]> = {
  'plain.txt': ['ETag (MD5, single part)'],
  'sums/crc32.bin': ['ETag (MD5, single part)'],
  'sums/crc32c.bin': ['ETag (MD5, single part)'],
  'sums/sha1.bin': ['ETag (MD5, single part)'],
  'sums/sha256.bin': ['ETag (MD5, single part)'],
  'sums/crc64nvme.bin': ['ETag (MD5, single part)'],
  'offsite/stored by offsite.bin': ['ETag (MD5, single part)'],
  'offsite/multipart with metadata.bin': ['multipart ETag (2 parts of 5.0 MiB)', 'x-amz-meta-sha256'],
  'mp/uniform.bin': ['multipart ETag (2 parts of 5.0 MiB)'],
  'mp/uneven.bin': ['multipart ETag (3 parts: 5.0 MiB, 5.0 MiB, 2.0 MiB)'],
  'mp/composite sha256.bin': ['SHA256 composite checksum (3 parts of 5.0 MiB)', 'multipart ETag (3 parts of 5.0 MiB)'],
  'mp/full crc32.bin': ['CRC32 full-object checksum', 'multipart ETag (2 parts of 5.0 MiB)'],
  'ünïcødé ☃/empty': ['ETag (MD5, single part)'],
};

beforeAll(async () => {
  plain = s3Client(fx.sandbox);
  summing = checksummingClient(fx.sandbox);
  await createBucket(plain, BUCKET);

  const tree = join(fx.work, 'tree');
  const put = (path: string, data: Buffer, options = {}) => putObject(plain, BUCKET, `tree/${path}`, data, options);
  await put('plain.txt', await local(tree, 'plain.txt', Buffer.from('hello, world\n')));
  for (const [i, algorithm] of (['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const).entries()) {
    const path = `sums/${algorithm.toLowerCase()}.bin`;
    await putObject(summing, BUCKET, `tree/${path}`, await local(tree, path, pseudoRandom(70_000 + i, i + 1)), { algorithm });
  }
  // What offsite's uploader stores: a full-object checksum and the plaintext SHA-256 in x-amz-meta-sha256.
  const stored = await local(tree, 'offsite/stored by offsite.bin', pseudoRandom(123_456, 7));
  await putObject(summing, BUCKET, 'tree/offsite/stored by offsite.bin', stored, { algorithm: 'CRC32', metadata: { sha256: sha256(stored) } });
  const withMeta = await local(tree, 'offsite/multipart with metadata.bin', pseudoRandom(6 * MiB, 8));
  await putMultipart(plain, BUCKET, 'tree/offsite/multipart with metadata.bin', withMeta, [5 * MiB, MiB], { metadata: { sha256: sha256(withMeta) } });
  await putMultipart(plain, BUCKET, 'tree/mp/uniform.bin', await local(tree, 'mp/uniform.bin', pseudoRandom(6 * MiB, 9)), [5 * MiB, MiB]);
  // Part 1 is one byte longer than part 2: the size of part 1 is not the size of every part.
  await putMultipart(plain, BUCKET, 'tree/mp/uneven.bin', await local(tree, 'mp/uneven.bin', pseudoRandom(12 * MiB, 10)), [5 * MiB + 1, 5 * MiB, 2 * MiB - 1]);
  await putMultipart(summing, BUCKET, 'tree/mp/composite sha256.bin', await local(tree, 'mp/composite sha256.bin', pseudoRandom(11 * MiB, 11)), [5 * MiB, 5 * MiB, MiB], {
    algorithm: 'SHA256',
    checksumType: 'COMPOSITE',
  });
  await putMultipart(summing, BUCKET, 'tree/mp/full crc32.bin', await local(tree, 'mp/full crc32.bin', pseudoRandom(6 * MiB, 12)), [5 * MiB, MiB], {
    algorithm: 'CRC32',
    checksumType: 'FULL_OBJECT',
  });
  await put('ünïcødé ☃/empty', await local(tree, 'ünïcødé ☃/empty', Buffer.alloc(0)));
  await symlink('plain.txt', join(tree, 'a symlink'));

  // SSE-KMS: moto's ETag is still MD5-based here, but S3's is not, so it must not count as evidence. In two parts, so
  // the listing (where a single part's ETag equal to the local MD5 settles it) leaves the decision to the HEAD.
  await putMultipart(plain, BUCKET, 'kms/secret.bin', await local(join(fx.work, 'kms'), 'secret.bin', pseudoRandom(6 * MiB, 13)), [5 * MiB, MiB], { sse: 'aws:kms' });

  // s3export's own test: 3 source objects, 4 files on the disk, one of them changed.
  const legacy = join(fx.work, 'legacy');
  for (const name of ['a', 'b', 'c']) await putObject(plain, BUCKET, `legacy/${name}`, await local(legacy, name, Buffer.from(`file ${name}\n`)));
  await local(legacy, 'c', Buffer.from('file C\n'));
  await local(legacy, 'd', Buffer.from('only on the disk\n'));
});

afterAll(async () => {
  plain?.destroy();
  summing?.destroy();
});

const verify = (args: string[], extraEnv: Record<string, string> = {}) => runCli('offsite', ['verify', ...args], { env: { ...fx.env, ...extraEnv } });

describe('offsite verify against S3 (moto)', () => {
  it('matches every object, each by the evidence it really has', async () => {
    const result = await verify([join(fx.work, 'tree'), '--bucket', `s3://${BUCKET}/tree`, '--all', '--json']);
    expect(result.stderr).toBe('');
    const report = reportOf(result.stdout);
    expect(result.code, JSON.stringify(report.files.filter((f) => f.category !== 'match'))).toBe(0);
    expect(report.counts).toMatchObject({ match: Object.keys(EXPECTED).length, differ: 0, 'missing-remotely': 0, 'missing-locally': 0, unreadable: 0, unverified: 0 });
    expect(evidenceOf(report)).toEqual(EXPECTED);
    expect(report.skippedLocal).toBe(1); // the symlink
    expect(report.assertions).toEqual({ run: 2 * Object.keys(EXPECTED).length, succeeded: 2 * Object.keys(EXPECTED).length, failed: 0 });
  });

  it('does not take an SSE-KMS ETag for an MD5: unverified (exit 1) unless --download compares the bytes', async () => {
    const args = [join(fx.work, 'kms'), '--bucket', `s3://${BUCKET}/kms`, '--json'];
    const without = await verify(args);
    expect(without.code).toBe(1);
    expect(verdicts(reportOf(without.stdout))).toEqual({ 'secret.bin': 'unverified' });
    const withDownload = await verify([...args, '--download']);
    expect(withDownload.code).toBe(0);
    expect(evidenceOf(reportOf(withDownload.stdout))).toEqual({ 'secret.bin': ['downloaded bytes (SHA-256)'] });
  });

  it('finds a flipped byte, a removed object and an object only in S3 (exit 3), in the original\'s arithmetic', async () => {
    const copy = join(fx.work, 'changed');
    const data = { 'one.txt': Buffer.from('one\n'), 'two.bin': pseudoRandom(20_000, 21), 'three.bin': pseudoRandom(30_000, 22) };
    for (const [name, bytes] of Object.entries(data)) {
      await putObject(summing, BUCKET, `changed/${name}`, await local(copy, name, bytes), { algorithm: 'CRC32' });
    }
    await putObject(plain, BUCKET, 'changed/only in s3.txt', Buffer.from('x'));
    const handle = await open(join(copy, 'two.bin'), 'r+');
    await handle.write(Buffer.from([data['two.bin'][5000]! ^ 0x01]), 0, 1, 5000);
    await handle.close();
    await plain.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'changed/three.bin' }));

    const result = await verify([copy, '--bucket', `s3://${BUCKET}/changed`]);
    expect(result.code).toBe(3);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^\* two\.bin: CRC32 full-object checksum differs: .* here, .* in S3/));
    expect(lines).toContain('+ three.bin');
    expect(lines).toContain('- only in s3.txt');
    // one.txt: 2 passed; two.bin: exists, differs; three.bin: missing; only in s3.txt: missing locally.
    expect(lines.at(-1)).toBe('Assertions run: 6, succeeded: 3, failed: 3');

    const missingOk = await verify([copy, '--bucket', `s3://${BUCKET}/changed`, '--missing-ok', '--json']);
    const report = reportOf(missingOk.stdout);
    expect(report.counts['missing-remotely']).toBe(1);
    expect(report.warnings).toContainEqual(expect.stringMatching(/1 file is missing remotely .*missing files allowed/));
    expect(missingOk.code).toBe(3); // the changed byte and the extra object still count
  });

  it('a bucket that does not exist: one line, exit 2', async () => {
    const result = await verify([join(fx.work, 'legacy'), '--bucket', 's3://no-such-bucket', '--quiet']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe('offsite: listing s3://no-such-bucket/: the bucket does not exist (NoSuchBucket)\n');
  });

  it('reproduces s3export\'s own test: "Assertions run: 7, succeeded: 5, failed: 2"', async () => {
    const result = await verify([join(fx.work, 'legacy'), '--bucket', `s3://${BUCKET}/legacy`]);
    expect(result.code).toBe(3);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Assertions run: 7, succeeded: 5, failed: 2');
  });

  it('backs s3export verify-backup: bucket from OFFSITE_VERIFY_BUCKET, mismatches in the original\'s words', async () => {
    // A stand-in for the s3export binary's wiring: its global options, then the exported command.
    const script = [
      "import { Command } from 'commander';",
      `import { addVerifyBackupCommand } from '${repoRoot}dist/src/cli/commands/verify.js';`,
      "const program = new Command('s3export').option('-q, --quiet').option('--non-interactive').option('--forks <value>').exitOverride();",
      'addVerifyBackupCommand(program);',
      "await program.parseAsync(process.argv.slice(1), { from: 'user' });",
    ].join('\n');
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, 'verify-backup', join(fx.work, 'legacy'), '--quiet', '--forks', '2'], {
        cwd: repoRoot,
        env: { ...fx.env, OFFSITE_VERIFY_BUCKET: `${BUCKET}/legacy` } as NodeJS.ProcessEnv,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^Integrity mismatch: Different hashes for c \(ETag \(MD5, single part\) differs: /));
    expect(lines).toContain('Integrity mismatch: Corresponding backup file does not exist for d');
    expect(lines.at(-1)).toBe('Assertions run: 7, succeeded: 5, failed: 2');
  });

  it('draws the same sample from the same seed, whatever the concurrency; slices cover every file once', async () => {
    const tree = join(fx.work, 'tree');
    const sampled = async (args: string[]) => {
      const result = await verify([tree, '--bucket', `s3://${BUCKET}/tree`, '--json', ...args]);
      expect(result.code).toBe(0);
      return reportOf(result.stdout).files.map((f) => f.path);
    };
    const first = await sampled(['--sample', '4', '--seed', 'reproducible', '--forks', '1']);
    expect(first).toHaveLength(4);
    expect(await sampled(['--sample', '4', '--seed', 'reproducible', '--forks', '8'])).toEqual(first);
    expect(await sampled(['--sample', '4', '--seed', 'another seed'])).not.toEqual(first);

    const slices = [await sampled(['--slice', '1/3']), await sampled(['--slice', '2/3']), await sampled(['--slice', '3/3'])];
    const all = slices.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Object.keys(EXPECTED).sort());
  });
});
