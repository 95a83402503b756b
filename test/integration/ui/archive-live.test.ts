import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { makeLoopBtrfs, mountedUnder, sh, writeBtrfsProfile, type LoopBtrfs } from '../archive/loop-fs.js';
import { PROGRESS_LEFT, runLive, type LiveRun } from './live-terminal.js';

/** `offsite archive` on a real btrfs subvolume (a loop device), read back from a real terminal. */
let work: string;
let fs: LoopBtrfs;
let data: string;
let snaps: string;
let bindSource: string;
let env: Record<string, string | undefined>;
let run: LiveRun | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('archive needs root (btrfs snapshots, mounts)');
  work = await mkdtemp(join(tmpdir(), 'offsite-archive-live-'));
  fs = await makeLoopBtrfs(work, 300);
  data = join(fs.mountPoint, 'data');
  snaps = join(fs.mountPoint, 'snaps');
  sh('btrfs', 'subvolume', 'create', data);
  await mkdir(snaps);
  for (let i = 0; i < 4; i++) await writeFile(join(data, `file-${i}.bin`), pseudoRandom(512 * 1024, i + 1));
  bindSource = join(work, 'boot');
  await mkdir(bindSource);
  await writeFile(join(bindSource, 'config'), 'CONFIG_BTRFS_FS=y\n');
  await mkdir(join(work, 'tmp'));
  env = isolatedEnv({ OFFSITE_STATE_DIR: join(work, 'state'), TMPDIR: join(work, 'tmp') });
});

afterAll(async () => {
  await run?.tty.close();
  fs?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

async function profile(name: string, dar = ''): Promise<string> {
  return (await writeBtrfsProfile({ work, data, snaps, bindSource }, name, { binds: true, dar })).file;
}

async function start(name: string, file: string): Promise<LiveRun> {
  await run?.tty.close();
  run = await runLive(`offsite-archive-live-${name}`, work, env, ['archive', file]);
  return run;
}

describe('offsite archive shows the live task list on a terminal', () => {
  it('an archive that works: every step ✔, the teardown a row per release, then the mirror', async () => {
    const { tty, exitCode } = await start('ok', await profile('ok'));
    expect(await exitCode()).toBe('0');
    const screen = await tty.screen();
    for (const step of [
      /✔ Look for a snapshot left by an earlier run/,
      /✔ Create btrfs snapshot/,
      /✔ Bind-mount /,
      /✔ Measure /,
      /✔ dar full archive ok-/,
      /✔ Check the snapshot did not overflow/,
      /✔ Test ok-.* \(dar -t\)/,
      /✔ Isolate the catalogue of ok-/,
      /✔ Record ok-/,
      /✔ Mirror .* to /,
    ]) {
      expect(screen).toMatch(step);
    }
    // The teardown drawn as it ran, between the record and the mirror.
    expect(screen).toMatch(/✔ Record ok-[^\n]*\n(✔ [^\n]+\n)+✔ Mirror /);
    expect(screen).not.toMatch(/[✖⊘↓]/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(screen).toMatch(/^Full backup: ok-/m);
    expect(mountedUnder(snaps)).toEqual([]);
  });

  it('dar fails: ✖ on that step with its reason, the checks not run, the teardown still ✔, the mirror passed over', async () => {
    const { tty, exitCode } = await start('fail', await profile('fail', 'extra_args = --no-such-dar-option'));
    expect(await exitCode()).toBe('1');
    const screen = await tty.screen();
    expect(screen).toMatch(/✔ Measure /);
    expect(screen.replace(/\n\s+/g, ' ')).toMatch(/✖ dar full archive fail-\S+: .+/);
    for (const step of ['Check the snapshot did not overflow', 'Test the archive (dar -t)', 'Isolate the catalogue', 'Record the archive in its set']) {
      expect(screen).toContain(`⊘ ${step}: not run`);
    }
    expect(screen).toMatch(/✔ (Delete|Remove) .*fail-snap/);
    expect(screen).toMatch(/↓ Mirror .*: the archive failed/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(mountedUnder(snaps)).toEqual([]);
  });
});
