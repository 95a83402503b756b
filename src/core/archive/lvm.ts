import { basename, join } from 'node:path';
import { OffsiteError, UsageError } from '../../errors.js';
import { heldMount, mountsUnder, readMounts, unmountWithRetry } from './mounts.js';
import type { LvmSource } from './profile.js';
import type { Shell } from './shell.js';
import { MOUNT_DIR_PREFIX, type SnapshotSource, type SourceContext } from './snapshot-source.js';

export interface LogicalVolume {
  name: string;
  vg: string;
  origin: string;
  attr: string;
}

/** `lvs --noheadings --separator , -o lv_name,vg_name,origin,lv_attr`: named columns, not the old positional guess. */
export function parseLvs(text: string): LogicalVolume[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [name = '', vg = '', origin = '', attr = ''] = line.split(',').map((f) => f.trim());
      return { name, vg, origin, attr };
    });
}

/** The names a mounted LV shows in /proc/mounts: /dev/VG/LV and /dev/mapper/VG-LV (dashes doubled). */
export function lvDevicePaths(vg: string, lv: string): string[] {
  return [`/dev/${vg}/${lv}`, `/dev/mapper/${vg.replaceAll('-', '--')}-${lv.replaceAll('-', '--')}`];
}

/**
 * Why LVM snapshots cannot work on this machine, or undefined when device-mapper answers. The kernel's
 * /proc/misc is read first: `dmsetup` itself would create /dev/mapper/control, a change --noop must not make.
 */
export async function deviceMapperProblem(shell: Shell, signal?: AbortSignal): Promise<string | undefined> {
  const misc = (await shell.runner.readText('/proc/misc')) ?? '';
  const control = await shell.runner.exists('/dev/mapper/control');
  const prefix = 'LVM snapshots cannot run on this kernel: no device-mapper';
  if (!/\bdevice-mapper$/m.test(misc)) return `${prefix} (not in /proc/misc${control ? '' : '; /dev/mapper/control is missing'})`;
  const version = await shell.probe({ argv: ['dmsetup', 'version'], query: true }, signal);
  if (version.code === 127) return 'LVM snapshots cannot run here: dmsetup is not installed (install lvm2)';
  if (version.code !== 0) return `${prefix} (dmsetup version cannot reach the kernel driver: ${version.stderr.trim().split('\n')[0] ?? ''})`;
  return undefined;
}

/** Snapshot health from `lvs -o lv_attr,snap_percent`: the 5th attribute 'I' (or 100 %) means it overflowed. */
export function snapshotOverflowed(text: string): boolean {
  const [attr = '', percent = ''] = (text.trim().split('\n')[0] ?? '').split(',').map((f) => f.trim());
  return attr[4] === 'I' || Number(percent) >= 100;
}

export function lvmSource(source: LvmSource, context: SourceContext): SnapshotSource {
  const { shell, profile, emit } = context;
  const { volumeGroup: vg, logicalVolume: lv, snapshotName: snap } = source;
  const mountPoint = join(context.tmpDir, `${MOUNT_DIR_PREFIX}${context.runId}`);
  let volumes: LogicalVolume[] | undefined;
  const line = (key: string): number => profile.lines[`lvm.${key}`] ?? 0;

  return {
    description: `LVM snapshot ${vg}/${snap} of ${vg}/${lv}`,

    async check(signal) {
      const problem = await deviceMapperProblem(shell, signal);
      if (problem && !shell.noop) throw new OffsiteError(problem);
      if (problem) emit({ type: 'warning', message: `${problem}; showing the plan anyway` });
      const listed = await shell.probe({ argv: ['lvs', '--noheadings', '--separator', ',', '-o', 'lv_name,vg_name,origin,lv_attr', vg], query: true }, signal);
      if (listed.code !== 0) {
        const why = listed.stderr.trim().split('\n').at(-1) ?? `exit ${listed.code}`;
        if (shell.noop) return void emit({ type: 'warning', message: `could not list the logical volumes of ${vg} (${why}); assuming no leftover snapshot` });
        if (listed.code === 127) throw new OffsiteError('lvs: command not found (install lvm2)');
        throw new UsageError(`${profile.file}:${line('volume_group')}: [lvm] volume_group: cannot list volume group '${vg}': ${why}`);
      }
      volumes = parseLvs(listed.stdout);
      if (!volumes.some((v) => v.name === lv && v.vg === vg)) {
        throw new UsageError(`${profile.file}:${line('logical_volume')}: [lvm] logical_volume: no logical volume '${lv}' in volume group '${vg}'`);
      }
    },

    async cleanStale(signal) {
      const stale = volumes?.find((v) => v.name === snap && v.vg === vg);
      if (!stale) return;
      if (stale.origin !== lv) {
        throw new OffsiteError(`logical volume ${vg}/${snap} exists but is not a snapshot of ${vg}/${lv} (origin: ${stale.origin || 'none'}); refusing to touch it`);
      }
      emit({ type: 'warning', message: `found snapshot ${vg}/${snap} left by an earlier run: removing it` });
      const mounts = await readMounts(shell);
      const devices = lvDevicePaths(vg, snap);
      for (const mounted of mounts.filter((m) => devices.includes(m.source))) {
        for (const target of mountsUnder(mounts, mounted.target)) await unmountWithRetry(shell, target, signal);
        if (basename(mounted.target).startsWith(MOUNT_DIR_PREFIX)) await shell.change({ op: 'rmdir', path: mounted.target });
      }
      await shell.run({ argv: ['lvremove', '--force', `${vg}/${snap}`] }, signal);
    },

    async open(stack, signal) {
      await shell.run({ argv: ['lvcreate', '--size', source.snapshotSize, '--snapshot', '--name', snap, `/dev/${vg}/${lv}`] });
      await stack.add(
        {
          kind: 'snapshot',
          id: `${vg}/${snap}`,
          title: `Remove snapshot ${vg}/${snap}`,
          release: async (s) => {
            await shell.run({ argv: ['lvremove', '--force', `${vg}/${snap}`] }, s);
            return 'deleted';
          },
        },
        `of ${vg}/${lv}, ${source.snapshotSize}`,
        signal,
      );
      await shell.change({ op: 'mkdir', path: mountPoint });
      await stack.add({
        kind: 'temp-dir',
        id: mountPoint,
        title: `Remove mount point ${mountPoint}`,
        release: async () => {
          await shell.change({ op: 'rmdir', path: mountPoint });
          return 'removed';
        },
      });
      await shell.run({ argv: ['mount', '-o', ['ro', ...source.mountOptions].join(','), `/dev/${vg}/${snap}`, mountPoint] });
      await stack.add(heldMount(shell, mountPoint), `/dev/${vg}/${snap} read-only`, signal);
      return mountPoint;
    },

    async verify(signal) {
      const health = await shell.run({ argv: ['lvs', '--noheadings', '--separator', ',', '-o', 'lv_attr,snap_percent', `${vg}/${snap}`] }, signal);
      if (!health.skipped && snapshotOverflowed(health.stdout)) {
        throw new OffsiteError(`snapshot ${vg}/${snap} filled up while archiving and is invalid: the archive is discarded (raise [lvm] snapshot_size, now ${source.snapshotSize})`);
      }
    },

    async withWritable(signal, work) {
      await shell.run({ argv: ['mount', '-o', 'remount,rw', mountPoint] }, signal);
      try {
        await work();
      } finally {
        await shell.run({ argv: ['mount', '-o', 'remount,ro', mountPoint] }, signal);
      }
    },

    async livePath(rel) {
      const origin = (await readMounts(shell)).find((m) => lvDevicePaths(vg, lv).includes(m.source));
      return origin ? join(origin.target, rel) : undefined;
    },
  };
}
