import type { S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { access, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { cedarConfig, createBucket, listKeys, objectBytes, parseEvents, resultOf, s3Client, type Event } from './helpers.js';

const run = promisify(execFile);
const BUCKET = 'cedar-bucket';

const fx = useSandbox('s3-cedar');
let s3: S3Client;
let staging: string;
let config: string;
let gnupgHome: string;

beforeAll(async () => {
  s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
  staging = join(fx.work, 'staging');
  await mkdir(join(fx.work, 'working'));
  gnupgHome = join(fx.work, 'gnupg');
  await mkdir(gnupgHome, { mode: 0o700 });
  config = await cedarConfig('cback3-amazons3.conf', join(fx.work, 'cback3.conf'), { STAGING_DIR: staging, WORKING_DIR: join(fx.work, 'working'), BUCKET });
});

afterAll(async () => {
  s3?.destroy();
  if (gnupgHome) await run('gpgconf', ['--homedir', gnupgHome, '--kill', 'gpg-agent']).catch(() => undefined);
});

/** A staged day as Cedar's stage action leaves it: peer directories, cback.stage, maybe cback.amazons3. */
async function stageDay(day: string, files: Record<string, string | Buffer>, indicators = ['cback.stage']): Promise<string> {
  const dir = join(staging, day);
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), data);
  }
  for (const name of indicators) await writeFile(join(dir, name), '');
  return dir;
}

async function cedar(args: string[], configPath = config): Promise<{ code: number | null; stderr: string; events: Event[] }> {
  const result = await runCli('offsite', ['s3', '--cedar-config', configPath, '--json', ...args], { env: fx.env });
  return { code: result.code, stderr: result.stderr, events: parseEvents(result.stdout) };
}

const exists = (path: string) => access(path).then(() => true, () => false);
const warnings = (events: Event[]) => events.filter((e) => e.type === 'warning').map((e) => e.message);
const failure = (events: Event[]) => events.find((e) => e.type === 'error');

describe('offsite s3 --cedar-config (the amazons3 action)', () => {
  it("stores today's staging directory under <s3_bucket>/YYYY/MM/DD/, without indicators, then writes cback.amazons3", async () => {
    const dir = await stageDay('2026/03/14', {
      'localhost/etc.tar.gz': pseudoRandom(40_000, 3),
      'localhost/cback.collect': '',
      'localhost/mycback.tar': 'not an indicator\n',
    });
    const { code, stderr, events } = await cedar(['--date', '2026-03-14']);
    expect(code, stderr).toBe(0);
    expect(resultOf(events)).toMatchObject({ day: '2026/03/14', stagingDir: dir, limit: 'incremental', uploaded: 2, verified: 2, indicator: join(dir, 'cback.amazons3') });
    expect(await listKeys(s3, BUCKET)).toEqual(['staging/2026/03/14/localhost/etc.tar.gz', 'staging/2026/03/14/localhost/mycback.tar']);
    expect(await exists(join(dir, 'cback.amazons3'))).toBe(true);
    const phases = events.filter((e) => e.type === 'phase-end').map((e) => e.phase);
    expect(phases.indexOf('indicator')).toBe(phases.length - 1);
    expect(phases.indexOf('verify')).toBeLessThan(phases.indexOf('indicator'));
    expect(warnings(events)).toEqual([]);
  });

  it('passes over stored days: yesterday, then tomorrow, each with the midnight warning; then nothing is left', async () => {
    await stageDay('2026/03/20', { 'localhost/a.tar': 'day 20\n' });
    await stageDay('2026/03/22', { 'localhost/a.tar': 'day 22\n' });
    const yesterday = await cedar(['--date', '2026-03-21']);
    expect(yesterday.code, yesterday.stderr).toBe(0);
    expect(resultOf(yesterday.events)).toMatchObject({ day: '2026/03/20' });
    expect(warnings(yesterday.events)).toEqual(['Amazon S3 process crossed midnite boundary to find data.']);
    const tomorrow = await cedar(['--date', '2026-03-21']);
    expect(tomorrow.code, tomorrow.stderr).toBe(0);
    expect(resultOf(tomorrow.events)).toMatchObject({ day: '2026/03/22' });
    expect(warnings(tomorrow.events)).toEqual(['Amazon S3 process crossed midnite boundary to find data.']);
    expect((await objectBytes(s3, BUCKET, 'staging/2026/03/22/localhost/a.tar')).toString()).toBe('day 22\n');
    const none = await cedar(['--date', '2026-03-21']);
    expect(none.code).toBe(1);
    expect(failure(none.events)?.message).toBe('Unable to find unused staging directory to process (tried today, yesterday, tomorrow).');
  });

  it('--full takes today only, even when already stored, under the full limit; a missing today is an error', async () => {
    const again = await cedar(['--date', '2026-03-14', '--full']);
    expect(again.code, again.stderr).toBe(0);
    expect(resultOf(again.events)).toMatchObject({ day: '2026/03/14', limit: 'full', uploaded: 0, unchanged: 2, verified: 2 });
    const missing = await cedar(['--date', '2026-03-21', '--full']);
    expect(missing.code).toBe(1);
    expect(failure(missing.events)?.message).toBe('Unable to find staging directory to process (only tried today due to full option).');
  });

  it('both size limits refuse before anything is sent, and leave no indicator', async () => {
    const day = await stageDay('2026/04/01', { 'localhost/a.tar': pseudoRandom(1500, 4) }); // a Wednesday
    const limits = (startingDay: string) =>
      cedarConfig('cback3-small-limits.conf', join(fx.work, `limits-${startingDay}.conf`), { STAGING_DIR: staging, WORKING_DIR: join(fx.work, 'working'), BUCKET, STARTING_DAY: startingDay });
    const incremental = await cedar(['--date', '2026-04-01'], await limits('monday'));
    expect(incremental.code).toBe(1);
    expect(failure(incremental.events)?.message).toBe('Amazon S3 size limit exceeded: 1.5 KiB > 1000 (incr_size_limit)');
    expect(await listKeys(s3, BUCKET, '2026/04/01/')).toEqual([]);
    expect(await exists(join(day, 'cback.amazons3'))).toBe(false);
    // On the starting day the full limit (2 KB) applies, and 1,500 bytes fit.
    const fullDay = await cedar(['--date', '2026-04-01'], await limits('wednesday'));
    expect(fullDay.code, fullDay.stderr).toBe(0);
    expect(resultOf(fullDay.events)).toMatchObject({ limit: 'full', uploaded: 1 });
    await writeFile(join(day, 'localhost/b.tar'), pseudoRandom(1000, 5));
    const tooBig = await cedar(['--date', '2026-04-01', '--full'], await limits('monday'));
    expect(tooBig.code).toBe(1);
    expect(failure(tooBig.events)?.message).toBe('Amazon S3 size limit exceeded: 2.4 KiB > 2 KB (full_size_limit)');
    expect(await listKeys(s3, BUCKET, '2026/04/01/')).toEqual(['2026/04/01/localhost/a.tar']);
  });

  it('the day already in S3 is never removed or replaced before the new set has verified', async () => {
    const day = await stageDay('2026/05/05', { 'localhost/a.tar': 'v1 of a\n', 'localhost/b.tar': 'v1 of b\n' });
    expect((await cedar(['--date', '2026-05-05'])).code).toBe(0);
    await writeFile(join(day, 'localhost/a.tar'), 'v2 of a\n');
    await unlink(join(day, 'localhost/b.tar'));
    await writeFile(join(day, 'localhost/c.tar'), 'new c\n');
    // A run that fails part-way (here: encryption) leaves yesterday's copy of the day exactly as it was.
    const failed = await cedar(['--date', '2026-05-05', '--full', '--encrypt-command', '/bin/false ${input} ${output}']);
    expect(failed.code).toBe(1);
    expect(await listKeys(s3, BUCKET, 'staging/2026/05/05/')).toEqual(['staging/2026/05/05/localhost/a.tar', 'staging/2026/05/05/localhost/b.tar']);
    expect((await objectBytes(s3, BUCKET, 'staging/2026/05/05/localhost/a.tar')).toString()).toBe('v1 of a\n');
    // The next good run replaces a, adds c and only then removes b.
    const good = await cedar(['--date', '2026-05-05', '--full']);
    expect(good.code, good.stderr).toBe(0);
    expect(resultOf(good.events)).toMatchObject({ uploaded: 2, removed: 1, verified: 2 });
    expect(await listKeys(s3, BUCKET, 'staging/2026/05/05/')).toEqual(['staging/2026/05/05/localhost/a.tar', 'staging/2026/05/05/localhost/c.tar']);
    expect((await objectBytes(s3, BUCKET, 'staging/2026/05/05/localhost/a.tar')).toString()).toBe('v2 of a\n');
  });

  it('a failed run writes no indicator, so the next run tries the day again', async () => {
    const day = await stageDay('2026/05/10', { 'localhost/a.tar': 'data\n' });
    const failed = await cedar(['--date', '2026-05-10', '--encrypt-command', '/bin/false ${input} ${output}']);
    expect(failed.code).toBe(1);
    expect(failure(failed.events)?.message).toMatch(/^Error \[1\] encrypting \[.*\/2026\/05\/10\/localhost\/a\.tar\]\.$/);
    expect(await exists(join(day, 'cback.amazons3'))).toBe(false);
    const retried = await cedar(['--date', '2026-05-10']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(await exists(join(day, 'cback.amazons3'))).toBe(true);
  });

  it("the manual's gpg template in <encrypt>: objects decrypt to the staged files; empty files stay empty", async () => {
    const passphraseFile = join(fx.work, 'passphrase');
    await writeFile(passphraseFile, 'a long random passphrase\n', { mode: 0o600 });
    const encrypted = await cedarConfig('cback3-amazons3-encrypt.conf', join(fx.work, 'encrypt.conf'), {
      STAGING_DIR: staging,
      WORKING_DIR: join(fx.work, 'working'),
      BUCKET,
      GNUPGHOME: gnupgHome,
      PASSPHRASE_FILE: passphraseFile,
    });
    await stageDay('2026/06/07', { 'localhost/etc.tar.gz': pseudoRandom(5000, 6), 'localhost/empty.log': '' });
    const stored = await cedar(['--date', '2026-06-07'], encrypted);
    expect(stored.code, stored.stderr).toBe(0);
    expect(resultOf(stored.events)).toMatchObject({ encryption: 'command', uploaded: 2 });
    const cipher = join(fx.work, 'etc.tar.gz.gpg');
    await writeFile(cipher, await objectBytes(s3, BUCKET, '2026/06/07/localhost/etc.tar.gz'));
    await run('gpg', ['--homedir', gnupgHome, '--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase-file', passphraseFile, '--output', `${cipher}.out`, '--decrypt', cipher]);
    expect((await readFile(`${cipher}.out`)).equals(pseudoRandom(5000, 6))).toBe(true);
    expect((await objectBytes(s3, BUCKET, '2026/06/07/localhost/empty.log')).length).toBe(0);
    // The working_dir from <options> held the private temp dir, and it is gone.
    expect(await readdir(join(fx.work, 'working'))).toEqual([]);
  });
});
