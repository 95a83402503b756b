import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runArchive } from '../../../src/core/archive/archive.js';
import type { ArchiveResult } from '../../../src/core/archive/plan.js';
import { parseProfile } from '../../../src/core/archive/profile.js';
import { RecordingRunner, type RecordingOptions, type ScriptedAnswer } from '../../../src/core/archive/recording-runner.js';
import { makeEmitter, type OffsiteEvent } from '../../../src/core/events.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';

/**
 * This kernel has no device-mapper, so the LVM path is proved by its exact command plan: every command, file
 * change and back-off wait, in order, answered by a script that speaks the real tools' output.
 */
let work: string;
let target: string;
let mirror: string;
let state: string;
const now = new Date(2026, 10, 22, 3, 28);
const MNT = `${tmpdir()}/offsite-archive-r1`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-lvm-plan-'));
  target = join(work, 'target');
  mirror = join(work, 'mirror');
  state = join(work, 'state');
  await mkdir(target);
  await mkdir(mirror);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const profileText = (extra = ''): string => `[lvm]
volume_group = data
logical_volume = root
snapshot_lv_name = root-snap
snapshot_size = 2G

[backup]
source_type = lvm
target = ${target}
archive_prefix = host-

[bindmounts]
equals = /boot

[rsync]
enabled = true
target_dir = ${mirror}
${extra}`;

const LVS_LIST = ['lvs', '--noheadings', '--separator', ',', '-o', 'lv_name,vg_name,origin,lv_attr', 'data'];
const LVS_HEALTH = ['lvs', '--noheadings', '--separator', ',', '-o', 'lv_attr,snap_percent', 'data/root-snap'];

const healthy: ScriptedAnswer[] = [
  { prefix: ['dmsetup', 'version'], stdout: 'Library version:   1.02.185 (2022-05-18)\nDriver version:    4.48.0\n' },
  { prefix: LVS_LIST, stdout: '  root,data,,-wi-ao----\n  home,data,,-wi-ao----\n' },
  { prefix: LVS_HEALTH, stdout: '  swi-aos---,12.50\n' },
  {
    prefix: ['dar', '-c'],
    stdout: `Adding folder to archive: ${MNT}/etc\nAdding file to archive: ${MNT}/etc/hostname\n\n --------------------------------------------\n 2 inode(s) saved\n 0 inode(s) recorded as deleted from reference backup\n`,
  },
];

/** Paths the recorded run sees as present: device-mapper, /boot, and anything inside the (unmounted) snapshot. */
const present = (path: string): boolean | undefined => (path === '/dev/mapper/control' || path === '/boot' || path.startsWith(`${MNT}/`) ? true : undefined);

async function recorded(options: { answers?: ScriptedAnswer[]; files?: RecordingOptions['files']; existing?: RecordingOptions['existing']; noop?: boolean; extra?: string }) {
  const files = { '/proc/misc': '236 device-mapper\n229 fuse\n', ...options.files };
  const runner = new RecordingRunner({ answers: options.answers ?? healthy, files, existing: options.existing ?? present });
  const events: OffsiteEvent[] = [];
  const profile = parseProfile(profileText(options.extra), 'lvm.ini');
  let result: ArchiveResult | undefined;
  let error: Error | undefined;
  try {
    result = await runArchive(
      { profile, noop: options.noop ?? false },
      { runner, runId: 'r1', stateDir: state, tmpDir: tmpdir(), now: () => now, measure: async () => ({ bytes: 0, files: 0 }) },
      { signal: new AbortController().signal, cleanupSignal: new AbortController().signal, emit: makeEmitter((e) => events.push(e)) },
    );
  } catch (caught) {
    error = caught as Error;
  }
  return { log: runner.log, events, result, error, warnings: events.flatMap((e) => (e.type === 'warning' ? [e.message] : [])) };
}

const set = (): string => `${target}/2026-11`;
const FULL = 'host-2026-11-22T0328-FULL';
const darCreate = (): string =>
  `dar -c ${set()}/${FULL} -R ${MNT} -w -s 1875000000 -D -z9 -m 150 -Z '*.avi' -Z '*.bz2' -Z '*.gif' -Z '*.gz' -Z '*.jpg' -Z '*.mov' -Z '*.mpg' -Z '*.mp3' -Z '*.pbm' -Z '*.pdf' -Z '*.png' -Z '*.Z' -Z '*.zip' -Q -vt`;
const snapshotUp = (): string[] => [
  `mkdir ${set()}`,
  'lvcreate --size 2G --snapshot --name root-snap /dev/data/root',
  `mkdir ${MNT}`,
  `mount -o ro /dev/data/root-snap ${MNT}`,
  `mount --bind -o ro /boot ${MNT}/boot`,
];
const teardown = (): string[] => [`umount ${MNT}/boot`, `umount ${MNT}`, `rmdir ${MNT}`, 'lvremove --force data/root-snap'];
const probes = ['dmsetup version', 'lvs --noheadings --separator , -o lv_name,vg_name,origin,lv_attr data'];

describe('LVM command plan (recorded: no device-mapper on this kernel)', () => {
  it('a normal run: the original order, plus the overflow check, dar -t, the catalogue and the bookkeeping', async () => {
    const { log, result, error } = await recorded({});
    expect(error).toBeUndefined();
    expect(log).toEqual([
      ...probes,
      ...snapshotUp(),
      darCreate(),
      'lvs --noheadings --separator , -o lv_attr,snap_percent data/root-snap',
      `dar -t ${set()}/${FULL} -Q -q`,
      `dar -C ${set()}/${FULL}-catalogue -A ${set()}/${FULL} -Q -q -w`,
      `printf %s ${FULL} > ${set()}/latest_successful`,
      `printf '%s\\n' ${FULL}: >> ${set()}/backup_deps`,
      ...teardown(),
      `rsync -a -v ${target}/ ${mirror}/`,
    ]);
    expect(result).toMatchObject({ kind: 'full', archive: FULL, set: set(), mirroredTo: mirror, stats: { saved: 2, deleted: 0 } });
  });

  it('--noop lists the same commands but runs only the read-only probes', async () => {
    const real = await recorded({});
    const { log, result } = await recorded({ noop: true });
    expect(log).toEqual(probes);
    expect(result!.commands).toEqual(real.result!.commands);
  });

  it('an INC is based on latest_successful (-A parent)', async () => {
    const month = set();
    await mkdir(month, { recursive: true });
    await writeFile(join(month, 'latest_successful'), FULL);
    await writeFile(join(month, `${FULL}.1.dar`), '');
    try {
      const { log, result } = await recorded({});
      const inc = 'host-2026-11-22T0328-INC';
      expect(log).toContain(darCreate().replace(FULL, inc).replace(' -Q -vt', ` -A ${month}/${FULL} -Q -vt`));
      expect(log).toContain(`printf '%s\\n' ${inc}:${FULL} >> ${month}/backup_deps`);
      expect(result).toMatchObject({ kind: 'incremental', archive: inc, parent: FULL });
    } finally {
      await rm(month, { recursive: true });
    }
  });

  it('a snapshot left by a crashed run: its mounts (found in /proc/mounts) come down, then it is removed', async () => {
    const answers = [{ prefix: LVS_LIST, stdout: '  root,data,,-wi-ao----\n  root-snap,data,root,swi-a-s---\n' }, ...healthy];
    const old = `${tmpdir()}/offsite-archive-20260101-000000-abcdef`;
    const mounts = `/dev/sda2 / ext4 rw 0 0\n/dev/mapper/data-root--snap ${old} ext4 ro 0 0\n/dev/sda1 ${old}/boot ext4 ro 0 0\n`;
    const { log, warnings, error } = await recorded({ answers, files: { '/proc/mounts': mounts } });
    expect(error).toBeUndefined();
    expect(warnings).toContain('found snapshot data/root-snap left by an earlier run: removing it');
    expect(log.slice(0, 7)).toEqual([...probes, `umount ${old}/boot`, `umount ${old}`, `rmdir ${old}`, 'lvremove --force data/root-snap', `mkdir ${set()}`]);
  });

  it('an LV with the snapshot name that is not a snapshot of the origin is refused, and nothing is touched', async () => {
    for (const [row, origin] of [
      ['  root-snap,data,home,swi-a-s---', 'home'],
      ['  root-snap,data,,-wi-a-----', 'none'],
    ] as const) {
      const answers = [{ prefix: LVS_LIST, stdout: `  root,data,,-wi-ao----\n${row}\n` }, ...healthy];
      const { log, error } = await recorded({ answers });
      expect(error?.message).toBe(`logical volume data/root-snap exists but is not a snapshot of data/root (origin: ${origin}); refusing to touch it`);
      expect(log).toEqual(probes);
    }
  });

  it('a snapshot that overflowed during dar fails the run: no latest_successful, teardown still complete, no mirror', async () => {
    const answers = [{ prefix: LVS_HEALTH, stdout: '  swi-I-s---,100.00\n' }, ...healthy];
    const { log, events, error } = await recorded({ answers });
    expect(error?.message).toBe('snapshot data/root-snap filled up while archiving and is invalid: the archive is discarded (raise [lvm] snapshot_size, now 2G)');
    expect(log).toEqual([...probes, ...snapshotUp(), darCreate(), 'lvs --noheadings --separator , -o lv_attr,snap_percent data/root-snap', ...teardown()]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'phase-end', phase: 'rsync', status: 'skipped' }));
  });

  it('dar failing on read errors from an overflowed snapshot names the overflow, not the read errors', async () => {
    const answers = [{ prefix: LVS_HEALTH, stdout: '  swi-I-s---,100.00\n' }, { prefix: ['dar', '-c'], code: 5, stderr: 'Error while reading: Input/output error\n' }, ...healthy];
    const { error } = await recorded({ answers });
    expect(error?.message).toMatch(/^snapshot data\/root-snap filled up while archiving/);
  });

  it('a dar failure is one line with what the exit code means', async () => {
    const answers = [{ prefix: ['dar', '-c'], code: 2, stderr: 'No space left on device\n' }, ...healthy];
    const { error, log } = await recorded({ answers });
    expect(error?.message).toBe('dar -c failed (exit 2: hardware problem or out of memory): No space left on device');
    expect(log.some((l) => l.includes('latest_successful'))).toBe(false);
    expect(log.slice(-4)).toEqual(teardown());
  });

  it('even_if_backup_failed = true mirrors after a failed archive', async () => {
    const answers = [{ prefix: LVS_HEALTH, stdout: '  swi-I-s---,100.00\n' }, ...healthy];
    const { log, error } = await recorded({ answers, extra: 'even_if_backup_failed = true\n' });
    expect(error?.message).toMatch(/filled up/);
    expect(log.at(-1)).toBe(`rsync -a -v ${target}/ ${mirror}/`);
  });

  it('a busy mount is retried with back-off 1, 2, 4 s until it lets go', async () => {
    const busy = { prefix: ['umount', MNT], code: 32, stderr: `umount: ${MNT}: target is busy.\n`, times: 3 };
    const { log, error } = await recorded({ answers: [busy, ...healthy] });
    expect(error).toBeUndefined();
    const from = log.indexOf(`umount ${MNT}`);
    expect(log.slice(from)).toEqual([`umount ${MNT}`, 'sleep 1', `umount ${MNT}`, 'sleep 2', `umount ${MNT}`, 'sleep 4', `umount ${MNT}`, `rmdir ${MNT}`, 'lvremove --force data/root-snap', `rsync -a -v ${target}/ ${mirror}/`]);
  });

  it('a mount that stays busy: 6 tries over 31 s, the snapshot under it is left alone, the run fails, no mirror', async () => {
    const busy = { prefix: ['umount', MNT], code: 32, stderr: `umount: ${MNT}: target is busy.\n` };
    const { log, error, warnings } = await recorded({ answers: [busy, ...healthy] });
    expect(error?.message).toMatch(new RegExp(`^left behind: mount ${MNT}, temp-dir ${MNT}, snapshot data/root-snap; remove with: offsite cleanup --run \\S+ --yes$`));
    expect((error as { exitCode?: number }).exitCode).toBe(4);
    const from = log.indexOf(`umount ${MNT}`);
    expect(log.slice(from)).toEqual([`umount ${MNT}`, 'sleep 1', `umount ${MNT}`, 'sleep 2', `umount ${MNT}`, 'sleep 4', `umount ${MNT}`, 'sleep 8', `umount ${MNT}`, 'sleep 16', `umount ${MNT}`]);
    expect(warnings).toContain(`Unmount ${MNT} failed: could not unmount ${MNT} after 6 tries: umount: ${MNT}: target is busy.`);
  });

  it('"not mounted" counts as unmounted (as in the original)', async () => {
    const gone = { prefix: ['umount', `${MNT}/boot`], code: 32, stderr: `umount: ${MNT}/boot: not mounted.\n` };
    const { log, error } = await recorded({ answers: [gone, ...healthy] });
    expect(error).toBeUndefined();
    expect(log).toContain('lvremove --force data/root-snap');
  });

  it('a bind target missing in the read-only snapshot is made while it is briefly writable', async () => {
    const { log } = await recorded({ existing: (p) => (p === `${MNT}/boot` ? false : present(p)) });
    const from = log.indexOf(`mount -o ro /dev/data/root-snap ${MNT}`);
    expect(log.slice(from, from + 5)).toEqual([
      `mount -o ro /dev/data/root-snap ${MNT}`,
      `mount -o remount,rw ${MNT}`,
      `mkdir -p ${MNT}/boot`,
      `mount -o remount,ro ${MNT}`,
      `mount --bind -o ro /boot ${MNT}/boot`,
    ]);
  });

  it('without device-mapper a real run stops at the probe with one line (dmsetup is not even run); --noop warns and shows the plan', async () => {
    const files = { '/proc/misc': '229 fuse\n237 loop-control\n' };
    const existing = (p: string): boolean | undefined => (p === '/dev/mapper/control' ? false : present(p));
    const real = await recorded({ files, existing });
    expect(real.error?.message).toBe('LVM snapshots cannot run on this kernel: no device-mapper (not in /proc/misc; /dev/mapper/control is missing)');
    expect(real.log).toEqual([]);
    const noop = await recorded({ files, existing, noop: true });
    expect(noop.error).toBeUndefined();
    expect(noop.warnings).toContain(`${real.error!.message}; showing the plan anyway`);
    expect(noop.log).toEqual(['lvs --noheadings --separator , -o lv_name,vg_name,origin,lv_attr data']);
    expect(noop.result!.commands).toContain('lvcreate --size 2G --snapshot --name root-snap /dev/data/root');
  });

  it('a driver the tools cannot reach is reported with what dmsetup said', async () => {
    const answers = [{ prefix: ['dmsetup', 'version'], code: 1, stderr: 'Failure to communicate with kernel device-mapper driver.\n' }, ...healthy];
    const { error, log } = await recorded({ answers });
    expect(error?.message).toBe('LVM snapshots cannot run on this kernel: no device-mapper (dmsetup version cannot reach the kernel driver: Failure to communicate with kernel device-mapper driver.)');
    expect(log).toEqual(['dmsetup version']);
  });
});

const deviceMapper = readFileSync('/proc/misc', 'utf8').includes('device-mapper');

describe('offsite archive with an LVM profile on this machine', () => {
  it.runIf(!deviceMapper)('says in one line that LVM cannot run on this kernel, exit 1, nothing made', async () => {
    const file = join(work, 'lvm.ini');
    await writeFile(file, profileText().replace('equals = /boot', `equals = ${work}`));
    const controlBefore = existsSync('/dev/mapper/control');
    const result = await runCli('offsite', ['archive', file], { env: isolatedEnv({ OFFSITE_STATE_DIR: state }) });
    expect(result.code, result.stderr).toBe(1);
    const errors = result.stderr.trimEnd().split('\n').filter((line) => line.startsWith('offsite: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^offsite: LVM snapshots cannot run on this kernel: no device-mapper \(not in \/proc\/misc/);
    expect(existsSync('/dev/mapper/control')).toBe(controlBefore); // dmsetup would have made it
    expect(existsSync(`${target}/2026-11`)).toBe(false);
  });
});
