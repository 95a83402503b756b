import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { cedarConfig, createBucket, incompleteUploads, listKeys, s3Client } from './helpers.js';

const BUCKET = 'bad-input-bucket';

const fx = useSandbox('s3-bad');
let s3: S3Client;
let dir: string;

beforeAll(async () => {
  s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
  dir = join(fx.work, 'data');
  await mkdir(dir);
  await writeFile(join(dir, 'file'), 'some data\n');
});

afterAll(async () => {
  s3?.destroy();
});

const bad = (name: string) => join(repoRoot, 'fixtures', 'cedar', 'bad', name);

/** Expects exactly one line on stderr (no stack trace), nothing on stdout, the exit code, and nothing stored. */
async function expectRefused(args: string[], message: RegExp, code = 2, extraEnv: Record<string, string | undefined> = {}): Promise<void> {
  const result = await runCli('offsite', ['s3', ...args], { env: { ...fx.env, ...extraEnv } });
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^offsite: /);
  expect(lines[0]).toMatch(message);
  expect(await listKeys(s3, BUCKET)).toEqual([]);
  expect(await incompleteUploads(s3, BUCKET)).toEqual([]);
}

describe('offsite s3 refuses bad input in one line', () => {
  const url = `s3://${BUCKET}/x`;
  it('no arguments', () => expectRefused([], /give a directory and an s3:\/\/bucket\[\/prefix\] URL, or --cedar-config FILE/));
  it('a directory that does not exist', () => expectRefused([join(fx.work, 'nope'), url], /nope: no such directory/));
  it('a file instead of a directory', () => expectRefused([join(dir, 'file'), url], /file: not a directory/));
  it('a malformed S3 URL', () => expectRefused([dir, 'https://bucket/x'], /destination: 'https:\/\/bucket\/x' is not an S3 URL like s3:\/\/bucket or s3:\/\/bucket\/prefix/));
  it('an invalid bucket name', () => expectRefused([dir, 's3://Not_A_Bucket/x'], /'Not_A_Bucket' is not a valid S3 bucket name/));
  it('a bucket that does not exist (found by the first request, exit 2)', () => expectRefused([dir, 's3://no-such-bucket-here/x'], /^offsite: s3:\/\/no-such-bucket-here: no such bucket$/));
  it('an unreadable configuration', () => expectRefused(['--cedar-config', join(fx.work, 'missing.conf')], /--cedar-config: cannot read .*missing\.conf: no such file/));
  it('a configuration that is not XML', () => expectRefused(['--cedar-config', bad('not-xml.conf')], /not-xml\.conf: not well-formed XML/));
  it('a configuration without <amazons3>', () => expectRefused(['--cedar-config', bad('no-amazons3-section.conf')], /AmazonS3 section is required\./));
  it('a configuration without <s3_bucket>', () => expectRefused(['--cedar-config', bad('no-s3-bucket.conf')], /AmazonS3 s3Bucket must be set\./));
  it('a size limit that is not a size', () => expectRefused(['--cedar-config', bad('bad-size-limit.conf')], /<full_size_limit>: 'lots' is not a size/));
  it('a configured template without ${input}', () =>
    expectRefused(['--cedar-config', bad('template-without-input.conf')], /<amazons3><encrypt>: the encrypt command must contain both \$\{input\} and \$\{output\}/));
  it('a template on the command line without ${input}', () =>
    expectRefused([dir, url, '--encrypt-command', '/usr/bin/gpg -c -o ${output}'], /--encrypt-command: the encrypt command must contain both/));
  it('a template whose program does not exist', () => expectRefused([dir, url, '--encrypt-command', 'no-such-encryptor ${input} ${output}'], /not found or not executable: no-such-encryptor/));
  it('gpg without a passphrase file', () => expectRefused([dir, url, '--encrypt', 'gpg'], /gpg encryption needs a passphrase file .*; pass --passphrase-file FILE/));
  it('a passphrase file that cannot be read', () => expectRefused([dir, url, '--encrypt', 'gpg', '--passphrase-file', join(fx.work, 'nope')], /--passphrase-file: cannot read/));
  it('an unknown encryption method', () => expectRefused([dir, url, '--encrypt', 'rot13'], /--encrypt: unknown method 'rot13'/));
  it('an unknown storage class', () => expectRefused([dir, url, '--storage-class', 'COLD'], /--storage-class: 'COLD' is not one of STANDARD/));
  it('an unknown SSE type', () => expectRefused([dir, url, '--sse', 'rsa'], /--sse: 'rsa' is not AES256/));
  it('a part size below S3\'s minimum', () => expectRefused([dir, url, '--part-size', '1MB'], /--part-size: '1MB' must be between 5 MB and 5 GB/));
  it('a concurrency of 0', () => expectRefused([dir, url, '--concurrency', '0'], /--concurrency: '0' is not a whole number from 1 to 64/));
  it('a bandwidth that is not a rate', () => expectRefused([dir, url, '--bwlimit', 'fast'], /--bwlimit: 'fast' is not a rate/));
  it('an unknown checksum algorithm', () => expectRefused([dir, url, '--checksum-algorithm', 'MD5'], /--checksum-algorithm: 'MD5' is not one of CRC64NVME, CRC32/));
  it('--full without --cedar-config', () => expectRefused([dir, url, '--full'], /--full is for the Cedar Backup mode/));
  it('--cedar-config with a directory as well', () => expectRefused([dir, url, '--cedar-config', bad('no-s3-bucket.conf')], /--cedar-config takes no directory or URL/));
  it('an unknown option', () => expectRefused([dir, url, '--frobnicate'], /unknown option '--frobnicate'/));
  it('a date that is not a date', async () => {
    const config = await cedarConfig('cback3-amazons3.conf', join(fx.work, 'good.conf'), { STAGING_DIR: fx.work, WORKING_DIR: fx.work, BUCKET });
    await expectRefused(['--cedar-config', config, '--date', '2026-02-30'], /--date: '2026-02-30' is not a date like 2026-03-14/);
  });
  it('no AWS credentials', () =>
    expectRefused([dir, url], /no AWS credentials found/, 2, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_EC2_METADATA_DISABLED: 'true' }));
  it('no AWS region', () => expectRefused([dir, url], /no AWS region/, 2, { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined }));

  it('with --json the refusal is one error event on stdout', async () => {
    const result = await runCli('offsite', ['s3', join(fx.work, 'nope'), url, '--json'], { env: fx.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'error', exitCode: 2, message: expect.stringMatching(/no such directory/) });
  });

  it('--help lists the flags (its speed is measured by npm run bench, not here)', async () => {
    const result = await runCli('offsite', ['s3', '--help'], { env: fx.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--cedar-config <file>/);
    expect(result.stdout).toMatch(/--encrypt-command <template>/);
  });
});
