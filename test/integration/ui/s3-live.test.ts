import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, listKeys, s3Client } from '../s3/helpers.js';
import { PROGRESS_LEFT, runLive, type LiveRun } from './live-terminal.js';

const BUCKET = 'live-list';
const fx = useSandbox('s3-live');
let source: string;
let run: LiveRun | undefined;

beforeAll(async () => {
  source = join(fx.work, 'source');
  await mkdir(source);
  for (let i = 0; i < 3; i++) await writeFile(join(source, `part-${i}.bin`), pseudoRandom(1024 * 1024, i + 1));
  const s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
  s3.destroy();
});

afterAll(async () => {
  await run?.tty.close();
});

async function start(name: string, args: string[], setup = ''): Promise<LiveRun> {
  await run?.tty.close();
  run = await runLive(`offsite-s3-live-${name}`, fx.work, fx.env, ['s3', source, ...args], setup);
  return run;
}

describe('offsite s3 shows the live task list on a terminal', () => {
  it('a store that works: progress while it uploads, then every step ✔, nothing left drawing', async () => {
    const { tty, exitCode } = await start('ok', [`s3://${BUCKET}/ok`, '--bwlimit', '1M']);
    // The upload step running, with bytes and a total under it.
    await tty.waitFor(/Upload 3 files \(3\.0 MiB\)\s*\n\s*› [\d.]+ (B|KiB|MiB) \/ 3\.0 MiB/, 60_000);
    expect(await exitCode()).toBe('0');
    const screen = await tty.screen();
    for (const step of [/✔ Scan .*source/, /✔ List s3:\/\/live-list\/ok/, /✔ Checksum 3 files/, /✔ Compare with /, /✔ Upload 3 files/, /✔ Verify 3 objects/, /✔ Tidy/]) {
      expect(screen).toMatch(step);
    }
    // Nothing to replace: the one step passed over, and it says why.
    expect(screen).toMatch(/↓ Copy into place: nothing to replace/);
    expect(screen).not.toMatch(/[✖⊘]/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(screen).toMatch(/^stored 3 files .* in s3:\/\/live-list\/ok/m);
    expect(screen).toMatch(/^s3:\/\/live-list\/ok\/$/m);
  });

  it('a failing encrypt command: ✖ on the encrypt step with its reason, the later steps not run', async () => {
    const { tty, exitCode } = await start('fail', [`s3://${BUCKET}/fail`, '--encrypt-command', '/bin/false ${input} ${output}']);
    expect(await exitCode()).toBe('1');
    const screen = await tty.screen();
    expect(screen).toMatch(/✔ Compare with /);
    expect(screen).toMatch(/✖ Encrypt 3 files \(encrypt command\): Error \[1\] encrypting/);
    for (const step of ['Upload', 'Copy proved objects into place', 'Verify every object', 'Tidy']) expect(screen).toContain(`⊘ ${step}: not run`);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(screen).toMatch(/^offsite: Error \[1\] encrypting/m);
    const s3 = s3Client(fx.sandbox);
    expect(await listKeys(s3, BUCKET, 'fail/')).toEqual([]);
    s3.destroy();
  });

  it('a bucket that does not exist: refused before any step, every step not run, one line saying why', async () => {
    const { tty, exitCode } = await start('no-bucket', ['s3://no-such-bucket-here/x']);
    expect(await exitCode()).toBe('2');
    const screen = await tty.screen();
    expect(screen).toContain('⊘ Scan the directory: not run');
    expect(screen).not.toMatch(/[✔✖]/);
    expect(screen).toMatch(/^offsite: s3:\/\/no-such-bucket-here: no such bucket$/m);
  });

  it('Ctrl-C while it uploads: that step interrupted (not failed), the rest not run, no progress left', async () => {
    const { tty, exitCode } = await start('interrupt', [`s3://${BUCKET}/interrupted`, '--bwlimit', '256K']);
    await tty.waitFor(/Upload 3 files \(3\.0 MiB\)\s*\n\s*› [\d.]+ (B|KiB|MiB) \/ 3\.0 MiB/, 60_000);
    await tty.keys('C-c');
    expect(await exitCode()).toBe('130');
    const screen = await tty.screen();
    expect(screen).toMatch(/✔ Compare with /);
    expect(screen).toMatch(/⊘ Upload 3 files \(3\.0 MiB\): interrupted/);
    for (const step of ['Copy proved objects into place', 'Verify every object', 'Tidy']) expect(screen).toContain(`⊘ ${step}: not run`);
    expect(screen).not.toMatch(/✖|✔ Upload/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
  });

  it('TERM=dumb: plain lines, no task list', async () => {
    const { tty, exitCode } = await start('dumb', [`s3://${BUCKET}/dumb`], 'export TERM=dumb');
    expect(await exitCode()).toBe('0');
    const screen = await tty.screen();
    expect(screen).toMatch(/^ok {3}Scan .*source/m);
    expect(screen).not.toMatch(/[✔✖⊘↓]/);
  });
});
