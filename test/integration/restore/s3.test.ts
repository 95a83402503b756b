import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, head, objectBytes, parseEvents, resultOf, s3Client } from '../s3/helpers.js';
import { describeEveryKind, describedDifferences, makeEveryKindTree, type Described } from './every-kind.js';

const BUCKET = 'restore-bucket';
const MiB = 1024 * 1024;
const fixture = useSandbox('restore-s3');
let s3: S3Client;
let source: string;
let expected: Described;
let passphraseFile: string;
let env: Record<string, string | undefined>;

/** What S3 can carry of the tree: no owners (restored as the restoring user), hard links as separate copies. */
async function describeForS3(root: string): Promise<Described> {
  const described = await describeEveryKind(root, { owners: false });
  return { ...described, linkGroups: [] };
}

beforeAll(async () => {
  s3 = s3Client(fixture.sandbox);
  await createBucket(s3, BUCKET);
  source = join(fixture.work, 'source');
  await mkdir(source);
  // moto keeps objects in memory: a 12 MiB sparse file (multipart with 5 MiB parts) instead of 1 GiB.
  await makeEveryKindTree(source, { sparseBytes: 12 * MiB, specials: false, nonUtf8: false, hardLinks: true, newlineName: false });
  expected = await describeForS3(source);
  passphraseFile = join(fixture.work, 'passphrase');
  await writeFile(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
  env = isolatedEnv({ ...fixture.sandbox.env, TMPDIR: fixture.work });
}, 300_000);

afterAll(async () => {
  s3?.destroy();
});

const PARTS = ['--part-size', '5MB', '--multipart-threshold', '5MB'];

async function store(prefix: string, extra: string[] = []): Promise<void> {
  const run = await runCli('offsite', ['s3', source, `s3://${BUCKET}/${prefix}`, '--json', ...PARTS, ...extra], { env, timeoutMs: 300_000 });
  expect(run.code, run.stdout.slice(-2000)).toBe(0);
}

const restore = (args: string[]) => runCli('offsite', ['restore', ...args], { env, timeoutMs: 300_000 });

async function expectNoStaging(): Promise<void> {
  expect((await readdir(fixture.work)).filter((n) => n.includes('offsite-restore'))).toEqual([]);
}

describe('offsite restore s3://bucket/prefix TARGET', () => {
  it('offsite s3 stores mtime and mode per object (rclone keys) and a readable tree manifest', async () => {
    await store('plain');
    const info = await head(s3, BUCKET, 'plain/script.sh');
    expect(info.Metadata?.mode).toBe('0755');
    expect(info.Metadata?.mtime).toMatch(/^\d{10}\.\d{9}$/);
    const manifest = JSON.parse((await objectBytes(s3, BUCKET, 'plain/.offsite/tree.json')).toString('utf8')) as { version: number; entries: { path: string; type: string; target?: string }[] };
    expect(manifest.version).toBe(1);
    expect(manifest.entries).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'empty dir', type: 'dir' }),
      expect.objectContaining({ path: 'dangling symlink', type: 'symlink', target: '/nonexistent/target' }),
    ]));
  });

  it('round-trips content, modes, mtimes, symlinks and empty directories, each object proved', async () => {
    const target = join(fixture.work, 'plain-restored');
    const run = await restore([`s3://${BUCKET}/plain`, target, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const result = resultOf(parseEvents(run.stdout));
    const files = [...expected.entries.values()].filter((e) => e.startsWith('f ')).length;
    expect(result).toMatchObject({ method: 's3', verified: files, dryRun: false });
    expect(describedDifferences(expected, await describeForS3(target))).toEqual([]);
    await expectNoStaging();
  });

  it('decrypts objects stored with --encrypt gpg, with the passphrase from a file', async () => {
    await store('secret', ['--encrypt', 'gpg', '--passphrase-file', passphraseFile]);
    const refused = await restore([`s3://${BUCKET}/secret`, join(fixture.work, 'no-passphrase')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/gpg-encrypted; pass --passphrase-file FILE/);
    expect(existsSync(join(fixture.work, 'no-passphrase'))).toBe(false);
    const target = join(fixture.work, 'secret-restored');
    const run = await restore([`s3://${BUCKET}/secret`, target, '--passphrase-file', passphraseFile, '-q']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('correct horse');
    expect(describedDifferences(expected, await describeForS3(target))).toEqual([]);
    await expectNoStaging();
  });

  it('--dry-run --include lists the chosen paths and writes nothing', async () => {
    const target = join(fixture.work, 'dry');
    const run = await restore([`s3://${BUCKET}/plain`, target, '--dry-run', '--include', 'dir/nested', '--include', 'empty dir']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual(['dir/nested', 'dir/nested/deep.bin', 'empty dir']);
    expect(existsSync(target)).toBe(false);
  });

  it('an object whose bytes no longer match its evidence exits 3 and leaves TARGET untouched', async () => {
    await store('corrupt');
    const key = 'corrupt/dir/nested/deep.bin';
    const original = await head(s3, BUCKET, key);
    // Replace the bytes, keep the metadata that vouched for the old ones (sha256, mtime, mode).
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('not the backup\n'), Metadata: original.Metadata }));
    const target = join(fixture.work, 'corrupt-target');
    await mkdir(target);
    const run = await restore([`s3://${BUCKET}/corrupt`, target]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/do not match their evidence, first: dir\/nested\/deep\.bin: .*nothing was written into the target/);
    expect(await readdir(target)).toEqual([]);
    await expectNoStaging();
  });
});
