import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runCli } from '../../helpers/cli.js';

let work: string;
let dir: string;
// Nothing listens on port 9: a command that reached the network would fail with exit 1, not 2.
const env = isolatedEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-verify-bad-'));
  dir = join(work, 'dir');
  await mkdir(dir);
  await writeFile(join(dir, 'file'), 'x');
  execFileSync('mkfifo', [join(work, 'fifo')]);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function expectRefused(args: string[], message: RegExp): Promise<void> {
  const result = await runCli('offsite', ['verify', ...args], { env, timeoutMs: 20_000 });
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^offsite: /);
  expect(lines[0]).toMatch(message);
}

describe('offsite verify refuses bad input in one line, exit 2, before any network call', () => {
  const bucket = ['--bucket', 's3://some-bucket/prefix'];
  it('nothing to verify against', () => expectRefused([dir], /--bucket s3:\/\/bucket\[\/prefix\] or --volume/));
  it('both --bucket and --volume', () => expectRefused([dir, ...bucket, '--volume', 'vol-0123456789abcdef0'], /--bucket and --volume exclude each other/));
  it('a malformed S3 URL', () => expectRefused([dir, '--bucket', 'http://x'], /--bucket: 'http:\/\/x' is not an S3 URL/));
  it('a bad bucket name', () => expectRefused([dir, '--bucket', 's3://Bad_Bucket'], /not a valid S3 bucket name/));
  it('--sample 0', () => expectRefused([dir, ...bucket, '--sample', '0'], /--sample: '0' is not a number of files/));
  it('--sample 150%', () => expectRefused([dir, ...bucket, '--sample', '150%'], /--sample: '150%' must be a share/));
  it('--all with --sample', () => expectRefused([dir, ...bucket, '--all', '--sample', '5'], /--all and --sample exclude each other/));
  it('--slice 4/3', () => expectRefused([dir, ...bucket, '--slice', '4/3'], /--slice: '4\/3' is not a slice/));
  it('--forks 0', () => expectRefused([dir, ...bucket, '--forks', '0'], /--forks: '0' must be a whole number from 1 to 64/));
  it('an empty --seed', () => expectRefused([dir, ...bucket, '--seed', ' '], /--seed: /));
  it('a path that does not exist', () => expectRefused([join(work, 'nope'), ...bucket], /nope: no such file, device or directory/));
  it('a FIFO', () => expectRefused([join(work, 'fifo'), ...bucket], /fifo: not a directory, block device or disk image/));
  it('a --target-directory that climbs out', () => expectRefused([dir, ...bucket, '--target-directory', '../etc'], /--target-directory: '..\/etc' must be a relative path/));
  it('a --target-directory that is not there', () => expectRefused([dir, ...bucket, '--target-directory', 'missing'], /--target-directory missing: .*missing: no such directory/));
  it('an unreadable --password-file', () => expectRefused([dir, ...bucket, '--password-file', join(work, 'none')], /--password-file .*none: cannot be read/));
  it('a malformed volume id', () => expectRefused([dir, '--volume', 'vol-123'], /--volume: 'vol-123' is not a volume id/));
  it('--download with --volume', () => expectRefused([dir, '--volume', 'vol-0123456789abcdef0', '--download'], /--download applies to --bucket, not to --volume/));
  it('--volume with a directory that does not exist', () => expectRefused([join(work, 'nope'), '--volume', 'vol-0123456789abcdef0'], /nope: no such directory/));
});
