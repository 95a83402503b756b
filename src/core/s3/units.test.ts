import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { parseByteQuantity } from './byte-quantity.js';
import { readCedarConfig } from './cedar-config.js';
import { findDailyDir, shiftDay, weekday } from './daily-dir.js';
import { parseEncryptTemplate, substitute } from './encryption.js';
import { isIndicator } from './local-files.js';
import { objectDifference, type RemoteObject } from './remote.js';
import { partSizeFor } from './s3-params.js';
import { parseCedarBucket, parseS3Url } from './url.js';
import { repoRoot } from '../../../test/helpers/cli.js';
import { cedarConfig } from '../../../test/integration/s3/helpers.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-s3-units-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('sizes as Cedar writes them', () => {
  it('reads bytes and binary KB/MB/GB, with or without a space', () => {
    expect(parseByteQuantity('1048576', 'x')).toBe(1048576);
    expect(parseByteQuantity('2.5 GB', 'x')).toBe(2.5 * 1024 ** 3);
    expect(parseByteQuantity('600 MB', 'x')).toBe(600 * 1024 ** 2);
    expect(parseByteQuantity('10KB', 'x')).toBe(10240);
    expect(parseByteQuantity('1 GiB', 'x')).toBe(1024 ** 3);
  });
  it('refuses anything else, naming the source', () => {
    expect(() => parseByteQuantity('lots', '<full_size_limit>')).toThrow(/<full_size_limit>: 'lots' is not a size/);
    expect(() => parseByteQuantity('-3 MB', 'x')).toThrow(UsageError);
  });
});

describe('S3 URLs', () => {
  it('splits bucket and prefix, normalising slashes', () => {
    expect(parseS3Url('s3://my-bucket', 'd')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket/', 'd')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket//a/b/', 'd')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
    expect(parseCedarBucket('example.com-backup/staging', 's')).toEqual({ bucket: 'example.com-backup', prefix: 'staging/' });
  });
  it('refuses what is not an S3 URL or a bucket name', () => {
    expect(() => parseS3Url('http://x/y', 'destination')).toThrow(/destination: 'http:\/\/x\/y' is not an S3 URL/);
    expect(() => parseS3Url('s3://Bad_Bucket/x', 'destination')).toThrow(/not a valid S3 bucket name/);
    expect(() => parseS3Url('s3:///x', 'destination')).toThrow(/is not an S3 URL/);
  });
});

describe('multipart uploads', () => {
  it('part sizes grow for files beyond 10,000 parts', () => {
    expect(partSizeFor(100 * 1024 ** 2, 16 * 1024 ** 2)).toBe(16 * 1024 ** 2);
    expect(partSizeFor(1024 ** 4, 16 * 1024 ** 2)).toBeGreaterThanOrEqual(1024 ** 4 / 10_000);
  });
});

describe('the encrypt template', () => {
  it('splits once like a shell and substitutes inside each argument, without a shell', async () => {
    const plan = await parseEncryptTemplate(`/usr/bin/gpg -c --passphrase-file '/etc/my pass' -o \${output} --comment=from:\${input} \${input}`, 't');
    expect(plan.argv).toEqual(['/usr/bin/gpg', '-c', '--passphrase-file', '/etc/my pass', '-o', '${output}', '--comment=from:${input}', '${input}']);
    const argv = substitute(plan.argv, `/data/it's "odd" $HOME`, '/tmp/x/${output}.gpg');
    expect(argv.slice(4)).toEqual(['-o', '/tmp/x/${output}.gpg', `--comment=from:/data/it's "odd" $HOME`, `/data/it's "odd" $HOME`]);
  });
  it('needs both placeholders and a program that exists', async () => {
    await expect(parseEncryptTemplate('/usr/bin/gpg -c -o ${output}', '--encrypt-command')).rejects.toThrow(/must contain both \$\{input\} and \$\{output\}/);
    await expect(parseEncryptTemplate('/nonexistent/enc ${input} ${output}', '--encrypt-command')).rejects.toThrow(/not found or not executable/);
    await expect(parseEncryptTemplate(`gpg -o '\${output} \${input}`, '--encrypt-command')).rejects.toThrow(/unterminated single quote/);
  });
});

describe('Cedar: the daily staging directory', () => {
  async function day(root: string, path: string, indicators: string[]): Promise<void> {
    await mkdir(join(root, path, 'peer'), { recursive: true });
    for (const name of indicators) await writeFile(join(root, path, name), '');
  }

  it('today first, then yesterday, then tomorrow; stored days are passed over', async () => {
    const root = join(work, 'staging-a');
    await day(root, '2026/03/14', ['cback.stage', 'cback.amazons3']);
    await day(root, '2026/03/13', ['cback.stage']);
    await day(root, '2026/03/15', ['cback.stage']);
    expect(await findDailyDir(root, '2026-03-14', false)).toMatchObject({ day: '2026/03/13', which: 'yesterday' });
    await writeFile(join(root, '2026/03/13/cback.amazons3'), '');
    expect(await findDailyDir(root, '2026-03-14', false)).toMatchObject({ day: '2026/03/15', which: 'tomorrow' });
    await writeFile(join(root, '2026/03/15/cback.amazons3'), '');
    await expect(findDailyDir(root, '2026-03-14', false)).rejects.toThrow('Unable to find unused staging directory to process (tried today, yesterday, tomorrow).');
  });

  it('--full takes today only, stored or not, but still needs cback.stage', async () => {
    const root = join(work, 'staging-b');
    await day(root, '2026/03/14', ['cback.stage', 'cback.amazons3']);
    await day(root, '2026/03/13', ['cback.stage']);
    expect(await findDailyDir(root, '2026-03-14', true)).toMatchObject({ day: '2026/03/14', which: 'today' });
    await expect(findDailyDir(root, '2026-03-13', true)).resolves.toMatchObject({ which: 'today' });
    await expect(findDailyDir(root, '2026-03-15', true)).rejects.toThrow('Unable to find staging directory to process (only tried today due to full option).');
    await day(root, '2026/03/16', []); // no cback.stage: not staged yet
    await expect(findDailyDir(root, '2026-03-16', true)).rejects.toThrow(/only tried today/);
  });

  it('crosses month and year ends on the calendar, and knows the weekday', () => {
    expect(shiftDay('2026-01-01', -1)).toBe('2025-12-31');
    expect(shiftDay('2024-02-28', 1)).toBe('2024-02-29');
    expect(weekday('2026-03-14')).toBe('saturday');
    expect(weekday('2026-03-16')).toBe('monday');
  });

  it('indicators are matched on the file name only (Cedar uploaded mycback.tar, then called it missing)', () => {
    expect(isIndicator('cback.stage')).toBe(true);
    expect(isIndicator('peer/cback.collect')).toBe(true);
    expect(isIndicator('peer/mycback.tar')).toBe(false);
  });
});

describe('Cedar: reading cback3.conf', () => {
  const fixture = (name: string) => join(repoRoot, 'fixtures', 'cedar', name);

  it('reads the amazons3, options and stage sections', async () => {
    const path = await cedarConfig('cback3-amazons3.conf', join(work, 'good.conf'), { STAGING_DIR: '/srv/staging', WORKING_DIR: '/tmp', BUCKET: 'example.com-backup' });
    expect(await readCedarConfig(path)).toEqual({
      warnMidnight: true,
      target: { bucket: 'example.com-backup', prefix: 'staging/' },
      fullSizeLimit: { bytes: 2.5 * 1024 ** 3, text: '2.5 GB', name: 'full_size_limit' },
      incrementalSizeLimit: { bytes: 600 * 1024 ** 2, text: '600 MB', name: 'incr_size_limit' },
      startingDay: 'monday',
      workingDir: '/tmp',
      backupUser: 'backup',
      backupGroup: 'backup',
      stagingRoot: '/srv/staging',
    });
  });

  it.each([
    ['no-amazons3-section.conf', /AmazonS3 section is required\./],
    ['no-s3-bucket.conf', /AmazonS3 s3Bucket must be set\./],
    ['not-xml.conf', /not well-formed XML \(line \d+/],
    ['no-stage.conf', /Cedar Backup configuration is not properly filled in \(<stage> is missing\)/],
    ['bad-size-limit.conf', /<amazons3><full_size_limit>: 'lots' is not a size/],
  ])('%s is refused in one line', async (name, message) => {
    const error = await readCedarConfig(fixture(`bad/${name}`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('an unreadable file says so', async () => {
    await expect(readCedarConfig(join(work, 'missing.conf'))).rejects.toThrow(/cannot read .*missing\.conf: no such file/);
  });
});

describe('object comparison', () => {
  const expected = { path: '/src/a', size: 3, checksum: 'AAAA', md5: 'abc', sha256: 'f00', encryption: 'none' as const };
  const remote: RemoteObject = { key: 'p/a', size: 3, etag: 'abc', checksum: { algorithm: 'CRC32', value: 'AAAA', type: 'FULL_OBJECT' }, metadata: { sha256: 'f00' } };

  it('matches only when size, checksum, SHA-256 metadata, encryption and MD5 ETag agree', () => {
    expect(objectDifference(expected, remote, 'CRC32')).toBeUndefined();
    expect(objectDifference(expected, undefined, 'CRC32')).toBe('File was apparently not uploaded: [/src/a]');
    expect(objectDifference(expected, { ...remote, size: 4 }, 'CRC32')).toBe('File size differs [/src/a], expected 3 bytes but got 4 bytes');
    expect(objectDifference(expected, { ...remote, checksum: { algorithm: 'CRC32', value: 'BBBB' } }, 'CRC32')).toMatch(/^Checksum differs \[\/src\/a\]/);
    expect(objectDifference(expected, { ...remote, checksum: { algorithm: 'CRC32', value: 'AAAA', type: 'COMPOSITE' } }, 'CRC32')).toMatch(/not a full-object checksum/);
    expect(objectDifference(expected, { ...remote, metadata: {} }, 'CRC32')).toMatch(/^SHA-256 differs/);
    expect(objectDifference(expected, { ...remote, etag: 'zzz' }, 'CRC32')).toMatch(/^ETag differs/);
  });
  it('does not hold multipart or SSE-KMS ETags to the MD5', () => {
    expect(objectDifference(expected, { ...remote, etag: 'zzz-2' }, 'CRC32')).toBeUndefined();
    expect(objectDifference(expected, { ...remote, etag: 'zzz', sse: 'aws:kms' }, 'CRC32')).toBeUndefined();
  });
});
