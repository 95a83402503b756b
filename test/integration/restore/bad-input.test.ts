import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runCli } from '../../helpers/cli.js';

let work: string;
// Nothing here may reach the network: an endpoint nobody listens on would turn a missed check into a failure (1), not 2.
const env = () => isolatedEnv({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', OFFSITE_STATE_DIR: join(work, 'state') });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-restore-usage-'));
  await mkdir(join(work, 'full'));
  await writeFile(join(work, 'full', 'file'), 'x');
});
afterAll(() => rm(work, { recursive: true, force: true }));

const cases: [string, string[], RegExp][] = [
  ['no source', ['/tmp/x'], /say what to restore: --volume vol-…, --snapshot snap-…, --archive DIR or s3:\/\/bucket\/prefix/],
  ['two sources', ['--volume', 'vol-0123456789abcdef0', '--snapshot', 'snap-0123456789abcdef0', '/tmp/x'], /give one source/],
  ['a malformed volume id', ['--volume', 'vol-nothex', '/tmp/x'], /--volume: 'vol-nothex' is not a volume id/],
  ['a malformed snapshot id', ['--snapshot', 'snapshot-1', '/tmp/x'], /--snapshot: 'snapshot-1' is not a snapshot id/],
  ['no target', ['--volume', 'vol-0123456789abcdef0'], /missing TARGET/],
  ['S3 without a target', ['s3://bucket/prefix'], /missing TARGET: offsite restore s3:\/\/bucket\/prefix TARGET/],
  ['a bad bucket name', ['s3://B!/prefix', '/tmp/x'], /not a valid S3 bucket name/],
  ['--as-of without --archive', ['--volume', 'vol-0123456789abcdef0', '--as-of', '2026-01-01', '/tmp/x'], /--as-of applies to --archive only/],
  ['--include with ..', ['--volume', 'vol-0123456789abcdef0', '--include', '../etc', '/tmp/x'], /--include '..\/etc': give a path inside the backup/],
  ['a target whose parent is missing', ['--volume', 'vol-0123456789abcdef0', '/nonexistent/parent/target'], /its parent directory \/nonexistent\/parent does not exist/],
  ['an unreadable passphrase file', ['s3://bucket/p', '/tmp/x', '--passphrase-file', '/nonexistent/pass'], /--passphrase-file: cannot read \/nonexistent\/pass/],
];

describe('offsite restore: bad input is one line and exit 2, before any network call', () => {
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const run = await runCli('offsite', ['restore', ...args], { env: env() });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    });
  }

  it('a target that is not empty, without --overwrite', async () => {
    const run = await runCli('offsite', ['restore', '--volume', 'vol-0123456789abcdef0', join(work, 'full'), '--json'], { env: env() });
    expect(run.code).toBe(2);
    const event = JSON.parse(run.stdout.trim()) as { type: string; message: string; exitCode: number };
    // The message spells the remedy as this command's flag; `advice` carries it as a key.
    expect(event).toMatchObject({ type: 'error', exitCode: 2, advice: { remedy: 'overwrite' } });
    expect(event.message).toMatch(/is not empty: restore into an empty or new directory, or add --overwrite/);
  });

  it('--help lists every flag, the exit codes and examples', async () => {
    const run = await runCli('offsite', ['restore', '--help'], { env: env() });
    expect(run.code).toBe(0);
    for (const flag of ['--volume', '--snapshot', '--archive', '--as-of', '--list', '--include', '--dry-run', '--overwrite', '--force', '--passphrase-file', '--json', '--transport']) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toMatch(/Exit status:\n {2}0 +restored\n {2}1 +failed\n {2}2 +bad input/);
    expect(run.stdout).toMatch(/Examples:\n {2}\$ offsite restore --list/);
  });
});
