import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darExtractArgs } from '../../../src/core/archive/dar.js';
import { lockPathFor } from '../../../src/core/archive/lock.js';
import { outstanding, parseLedger } from '../../../src/core/ledger/ledger.js';
import { isolatedEnv, runCli, type CliRun } from '../../helpers/cli.js';
import { describeTree, makeTrickyTree, pseudoRandom, treeDifferences } from '../../helpers/trees.js';
import { waitFor } from '../../helpers/wait.js';
import { makeLoopBtrfs, mountedUnder, sh, snapshotOfFiles, startWriter, writeBtrfsProfile, type BtrfsProfile, type LoopBtrfs } from './loop-fs.js';

/**
 * The archive mode for real: a btrfs filesystem on a loop device, a subvolume being written to while it is
 * archived, dar archives extracted and compared byte for byte with the snapshot they were made from.
 */
let work: string;
let fs: LoopBtrfs;
let data: string;
let snaps: string;
let copies: string;
let bindSource: string;
let state: string;
let env: Record<string, string | undefined>;
let main: Profile;

type Profile = BtrfsProfile;

type Event = { type: string; phase?: string; status?: string; elapsedMs?: number; bytes?: number; total?: number; kind?: string; id?: string; action?: string; message?: string; exitCode?: number; result?: Record<string, unknown> };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-btrfs-'));
  fs = await makeLoopBtrfs(work, 400);
  data = join(fs.mountPoint, 'data');
  snaps = join(fs.mountPoint, 'snaps');
  copies = join(fs.mountPoint, 'copies');
  sh('btrfs', 'subvolume', 'create', data);
  await mkdir(snaps);
  await mkdir(copies);
  await makeTrickyTree(data, { sparseMiB: 8 });
  bindSource = join(work, 'boot');
  await mkdir(bindSource);
  await writeFile(join(bindSource, 'vmlinuz'), pseudoRandom(50_000, 9));
  await writeFile(join(bindSource, 'config'), 'CONFIG_BTRFS_FS=y\n');
  state = join(work, 'state');
  // A private TMPDIR: other test files make offsite-archive-* directories in the shared one.
  await mkdir(join(work, 'tmp'));
  env = isolatedEnv({ OFFSITE_STATE_DIR: state, TMPDIR: join(work, 'tmp') });
  main = await writeProfile('main', { binds: true });
});

afterAll(async () => {
  fs?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

function writeProfile(name: string, options: { binds?: boolean; subvolume?: string; dar?: string } = {}): Promise<Profile> {
  return writeBtrfsProfile({ work, data, snaps, bindSource }, name, options);
}

/** Runs `offsite archive --json`; `onEvent` sees each event as it arrives (with the child, to signal it). */
async function archive(profile: Profile, onEvent?: (event: Event, child: { kill(signal: NodeJS.Signals): boolean }) => void): Promise<{ run: CliRun; events: Event[] }> {
  const events: Event[] = [];
  const run = await runCli('offsite', ['archive', profile.file, '--json'], {
    env,
    timeoutMs: 60_000,
    onLine: (line, child) => {
      const event = JSON.parse(line) as Event;
      events.push(event);
      onEvent?.(event, child);
    },
  });
  return { run, events };
}

/** Freezes the CLI when its snapshot exists and copies the snapshot (read-only, so the copy is exact). */
function copySnapshotWhenMade(profile: Profile, copy: string) {
  let copied = false;
  return {
    onEvent: (event: Event, child: { kill(signal: NodeJS.Signals): boolean }) => {
      if (event.type !== 'resource-created' || event.kind !== 'snapshot') return;
      child.kill('SIGSTOP');
      try {
        sh('btrfs', 'subvolume', 'snapshot', '-r', profile.snapshot, copy);
        copied = true;
      } finally {
        child.kill('SIGCONT');
      }
    },
    copied: () => copied,
  };
}

const resultOf = (events: Event[]): Record<string, unknown> => events.find((e) => e.type === 'result')!.result!;

function extract(set: string, chain: string[], into: string): void {
  for (const name of chain) {
    const [program, ...args] = darExtractArgs(join(set, name), into);
    sh(program!, ...args);
  }
}

/** The bind-mounted tree sits at its own path inside the snapshot; the rest is compared with the snapshot. */
async function expectRestoredEquals(restored: string, snapshotCopy: string): Promise<void> {
  const top = bindSource.split('/')[1]!;
  expect(treeDifferences(await describeTree(snapshotCopy, [top]), await describeTree(restored, [top]))).toEqual([]);
  expect(treeDifferences(await describeTree(bindSource), await describeTree(join(restored, bindSource)))).toEqual([]);
}

async function expectNothingLeft(profile: Profile): Promise<void> {
  expect(mountedUnder(snaps)).toEqual([]);
  expect(existsSync(profile.snapshot)).toBe(false);
  expect(existsSync(await lockPathFor(state, profile.file))).toBe(false);
  expect((await readdir(join(work, 'tmp'))).filter((n) => n.startsWith('offsite-archive-'))).toEqual([]);
}

let fullName: string;
let set: string;

describe('offsite archive from a btrfs snapshot (real filesystem, real dar)', () => {
  it('FULL while the subvolume is being written: the extracted archive equals the snapshot, byte for byte', async () => {
    const writer = startWriter(join(data, 'live'));
    await waitFor(() => writer.writes() >= 3, 'the writer to start');
    const copy = join(copies, 'full');
    const probe = copySnapshotWhenMade(main, copy);
    let writesAtSnapshot = 0;
    const { run, events } = await archive(main, (event, child) => {
      probe.onEvent(event, child);
      if (event.type !== 'resource-created' || event.kind !== 'snapshot') return;
      // Hold the run until the source has changed after its snapshot: the archive is then made from a live filesystem.
      writesAtSnapshot = writer.writes();
      child.kill('SIGSTOP');
      void waitFor(() => writer.writes() > writesAtSnapshot, 'a write after the snapshot').finally(() => child.kill('SIGCONT'));
    });
    const writesAtEnd = writer.writes();
    await writer.stop();
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(probe.copied()).toBe(true);
    expect(writesAtEnd).toBeGreaterThan(writesAtSnapshot); // the filesystem was live throughout

    const result = resultOf(events);
    expect(result).toMatchObject({ kind: 'full', source: 'btrfs', tested: true, mirroredTo: main.mirror });
    fullName = result.archive as string;
    set = result.set as string;
    expect(fullName).toMatch(/^main-\d{4}-\d{2}-\d{2}T\d{4}-FULL$/);
    expect(await readFile(join(set, 'latest_successful'), 'utf8')).toBe(fullName);
    expect(await readFile(join(set, 'backup_deps'), 'utf8')).toBe(`${fullName}:\n`);
    expect(existsSync(join(set, `${fullName}.1.dar`))).toBe(true);
    expect(existsSync(join(set, `${fullName}-catalogue.1.dar`))).toBe(true);

    const restored = join(work, 'restore-full');
    await mkdir(restored);
    extract(set, [fullName], restored);
    expect((await describeTree(copy)).has('live/journal.log')).toBe(true);
    await expectRestoredEquals(restored, copy);
    // …and not the live state, which kept changing.
    expect(treeDifferences(await describeTree(copy), await describeTree(data)).length).toBeGreaterThan(0);

    // Progress and phases with elapsed time; every resource released; the mirror holds the set.
    expect(events.some((e) => e.type === 'progress' && e.phase === 'dar' && (e.bytes ?? 0) > 0 && (e.total ?? 0) > 0)).toBe(true);
    const phases = events.filter((e) => e.type === 'phase-end');
    expect(phases.map((e) => e.phase)).toEqual(
      expect.arrayContaining(['stale', 'snapshot', 'bind', 'measure', 'dar', 'dar-test', 'dar-isolate', 'record', 'cleanup:mount', 'cleanup:snapshot', 'rsync', 'cleanup:lock']),
    );
    expect(phases.every((e) => e.status === 'ok' && typeof e.elapsedMs === 'number')).toBe(true);
    const runs = await readdir(join(state, 'runs'));
    expect(runs).toHaveLength(1);
    expect(outstanding(parseLedger(await readFile(join(state, 'runs', runs[0]!), 'utf8')))).toEqual([]);
    expect(await snapshotOfFiles(main.mirror)).toEqual(await snapshotOfFiles(main.target));
    await expectNothingLeft(main);
  });

  it('the next run is an INC; FULL then INC extracted equals the new snapshot, deletions included', async () => {
    await rm(join(data, 'private'));
    await rm(join(data, 'ünïcødé ☃'), { recursive: true });
    await rm(join(data, 'dir with spaces', 'a file.txt'));
    await writeFile(join(data, 'original'), pseudoRandom(90_000, 77));
    await appendFile(join(data, 'script.sh'), 'echo again\n');
    await writeFile(join(data, 'new file'), 'added after the full\n');
    const writer = startWriter(join(data, 'live'));
    const copy = join(copies, 'inc');
    const probe = copySnapshotWhenMade(main, copy);
    const { run, events } = await archive(main, probe.onEvent);
    await writer.stop();
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    const result = resultOf(events);
    expect(result).toMatchObject({ kind: 'incremental', parent: fullName, set });
    const incName = result.archive as string;
    expect(incName).toMatch(/-INC$/);
    expect((result.stats as { deleted?: number }).deleted).toBeGreaterThanOrEqual(3);
    expect(await readFile(join(set, 'latest_successful'), 'utf8')).toBe(incName);
    expect(await readFile(join(set, 'backup_deps'), 'utf8')).toBe(`${fullName}:\n${incName}:${fullName}\n`);

    const restored = join(work, 'restore-inc');
    await mkdir(restored);
    extract(set, [fullName, incName], restored);
    expect(existsSync(join(restored, 'private'))).toBe(false);
    await expectRestoredEquals(restored, copy);
    await expectNothingLeft(main);
  });

  it('--noop prints every command in order and changes nothing: filesystem, target, mirror and state identical', async () => {
    const before = await everything(main);
    const run = await runCli('offsite', ['archive', main.file, '--noop'], { env, timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(await everything(main)).toEqual(before);
    const bindInside = join(main.snapshot, bindSource);
    expectInOrder(run.stdout.trimEnd().split('\n'), [
      `btrfs subvolume show ${data}`,
      `btrfs subvolume snapshot -r ${data} ${main.snapshot}`,
      `btrfs property set -ts ${main.snapshot} ro false`,
      `mkdir -p ${bindInside}`,
      `btrfs property set -ts ${main.snapshot} ro true`,
      `mount --bind -o ro ${bindSource} ${bindInside}`,
      new RegExp(`^dar -c ${set}/main-\\S+-INC -R ${main.snapshot} .* -A ${set}/\\S+-INC -Q -vt$`),
      /^dar -t /,
      /^dar -C /,
      new RegExp(`^printf %s main-\\S+-INC > ${set}/latest_successful$`),
      new RegExp(`^printf '%s\\\\n' main-\\S+-INC:main-\\S+-INC >> ${set}/backup_deps$`),
      `umount ${bindInside}`,
      `btrfs subvolume delete ${main.snapshot}`,
      `rsync -a -v ${main.target}/ ${main.mirror}/`,
    ]);
    expect(run.stderr).toMatch(/noop set, won't do anything for real/);
  });

  it('a snapshot left by a crashed run (still bind-mounted, lock of a dead process) is cleaned up, then the run proceeds', async () => {
    sh('btrfs', 'subvolume', 'snapshot', '-r', data, main.snapshot);
    sh('mount', '--bind', bindSource, join(main.snapshot, 'empty dir'));
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const lock = await lockPathFor(state, main.file);
    await mkdir(join(lock, '..'), { recursive: true });
    await writeFile(lock, JSON.stringify({ pid: Number(dead), host: (await import('node:os')).hostname(), started: '2026-01-01T00:00:00Z', profile: main.file }));
    const { run, events } = await archive(main);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const warnings = events.filter((e) => e.type === 'warning').map((e) => e.message);
    expect(warnings).toContain(`found snapshot ${main.snapshot} left by an earlier run: removing it`);
    expect(warnings.some((w) => w?.startsWith(`took over the lock of a run that died (pid ${dead}`))).toBe(true);
    await expectNothingLeft(main);
  });

  it('refuses a subvolume in the snapshot\'s place that is not a snapshot of the origin, and leaves it alone', async () => {
    sh('btrfs', 'subvolume', 'create', main.snapshot);
    await writeFile(join(main.snapshot, 'precious'), 'not ours\n');
    try {
      const { run, events } = await archive(main);
      expect(run.code).toBe(1);
      expect(events.filter((e) => e.type === 'error').map((e) => e.message)).toEqual([
        `${main.snapshot} exists but is not a snapshot of ${data}; refusing to touch it (move it away or set [btrfs] snapshot_name)`,
      ]);
      expect(await readFile(join(main.snapshot, 'precious'), 'utf8')).toBe('not ours\n');
    } finally {
      sh('btrfs', 'subvolume', 'delete', main.snapshot);
    }
  });

  it('a second run of the same profile while one holds the lock: one line, exit 1', async () => {
    const lock = await lockPathFor(state, main.file);
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), started: '2026-01-01T00:00:00Z', profile: main.file }));
    try {
      const run = await runCli('offsite', ['archive', main.file], { env, timeoutMs: 60_000 });
      expect(run.code).toBe(1);
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        `offsite: ${main.file} is being archived by another run (pid ${process.pid} on ${(await import('node:os')).hostname()}, since 2026-01-01T00:00:00Z); lock ${lock}`,
      ]);
      expect(existsSync(main.snapshot)).toBe(false);
    } finally {
      await rm(lock);
    }
  });

  it('Ctrl-C during dar: exit 130, the partial archive discarded, binds unmounted, snapshot deleted, lock released', async () => {
    const big = join(fs.mountPoint, 'big');
    sh('btrfs', 'subvolume', 'create', big);
    for (let i = 0; i < 8; i++) await writeFile(join(big, `chunk-${i}.bin`), pseudoRandom(6 * 1024 * 1024, 100 + i));
    const profile = await writeProfile('interrupted', { subvolume: big, binds: true, dar: 'compression = gzip:9' });
    let sent = false;
    const { run, events } = await archive(profile, (event, child) => {
      if (!sent && event.type === 'progress' && event.phase === 'dar' && (event.bytes ?? 0) > 0) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent, JSON.stringify(events.filter((e) => e.type !== 'progress'))).toBe(true);
    expect(run.code).toBe(130);
    expect(events.at(-1)).toMatchObject({ type: 'error', exitCode: 130, message: 'interrupted' });
    expect(events.find((e) => e.type === 'phase-end' && e.phase === 'dar')).toMatchObject({ status: 'cancelled' });
    const released = events.filter((e) => e.type === 'resource-released').map((e) => `${e.kind} ${e.action}`);
    expect(released).toEqual(['mount unmounted', 'snapshot deleted', 'lock removed']);
    expect(events.find((e) => e.type === 'phase-end' && e.phase === 'rsync')).toMatchObject({ status: 'skipped' });
    const month = (await readdir(profile.target))[0]!;
    expect(await readdir(join(profile.target, month))).toEqual([]); // no slices, no latest_successful
    await expectNothingLeft(profile);
    expect(sh('btrfs', 'subvolume', 'list', fs.mountPoint)).not.toMatch(/interrupted-snap/);
  });
});

/** Everything a --noop run could touch: the btrfs filesystem (every byte), its subvolumes and mounts, target, mirror, state. */
async function everything(profile: Profile) {
  return {
    tree: [...(await describeTree(fs.mountPoint)).entries()],
    // Generation numbers move with every transaction commit, written or not; the set of subvolumes is what counts.
    subvolumes: sh('btrfs', 'subvolume', 'list', fs.mountPoint).replace(/ gen \d+/g, ''),
    // Only our own mounts: other test files mount and unmount in parallel.
    mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter((line) => line.includes(work)),
    target: await snapshotOfFiles(profile.target),
    mirror: await snapshotOfFiles(profile.mirror),
    state: await snapshotOfFiles(state),
    temp: (await readdir(join(work, 'tmp'))).filter((n) => n.startsWith('offsite-archive-')),
  };
}

function expectInOrder(lines: string[], expected: Array<string | RegExp>): void {
  let at = 0;
  for (const want of expected) {
    const found = lines.findIndex((line, i) => i >= at && (typeof want === 'string' ? line === want : want.test(line)));
    expect(found, `${String(want)} after line ${at} in:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}
