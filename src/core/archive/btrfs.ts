import { join } from 'node:path';
import { OffsiteError, UsageError } from '../../errors.js';
import { mountsUnder, readMounts, unmountWithRetry } from './mounts.js';
import type { BtrfsSource } from './profile.js';
import type { ExecResult } from './runner.js';
import type { SnapshotSource, SourceContext } from './snapshot-source.js';

export interface SubvolumeInfo {
  uuid: string;
  /** '-' for a subvolume that is not a snapshot. */
  parentUuid: string;
  readOnly: boolean;
}

/** The fields we need from `btrfs subvolume show`. */
export function parseSubvolumeShow(text: string): SubvolumeInfo {
  const field = (name: string): string => new RegExp(`^\\s*${name}:\\s*(\\S.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { uuid: field('UUID'), parentUuid: field('Parent UUID'), readOnly: /\breadonly\b/.test(field('Flags')) };
}

function why(result: ExecResult): string {
  return result.stderr.trim().split('\n').at(-1) ?? `exit ${result.code}`;
}

export function btrfsSource(source: BtrfsSource, context: SourceContext): SnapshotSource {
  const { shell, profile, emit } = context;
  const snapshot = join(source.snapshotDir, source.snapshotName);
  const line = (key: string): number => profile.lines[`btrfs.${key}`] ?? 0;
  let origin: SubvolumeInfo | undefined;

  const show = (path: string, signal: AbortSignal): Promise<ExecResult> => shell.probe({ argv: ['btrfs', 'subvolume', 'show', path], query: true }, signal);

  return {
    description: `btrfs snapshot ${snapshot} of ${source.subvolume}`,

    async check(signal) {
      const shown = await show(source.subvolume, signal);
      if (shown.code === 127) throw new OffsiteError('btrfs: command not found (install btrfs-progs)');
      if (shown.code !== 0) throw new UsageError(`${profile.file}:${line('subvolume')}: [btrfs] subvolume: ${source.subvolume} is not a btrfs subvolume (${why(shown)})`);
      origin = parseSubvolumeShow(shown.stdout);
      if (!(await shell.runner.exists(source.snapshotDir))) {
        throw new UsageError(`${profile.file}:${line('snapshot_dir')}: [btrfs] snapshot_dir: ${source.snapshotDir} does not exist`);
      }
    },

    async cleanStale(signal) {
      if (!(await shell.runner.exists(snapshot))) return;
      const shown = await show(snapshot, signal);
      if (shown.code !== 0) throw new OffsiteError(`${snapshot} exists but is not a btrfs subvolume; refusing to touch it`);
      const found = parseSubvolumeShow(shown.stdout);
      if (!origin || found.parentUuid !== origin.uuid) {
        throw new OffsiteError(`${snapshot} exists but is not a snapshot of ${source.subvolume}; refusing to touch it (move it away or set [btrfs] snapshot_name)`);
      }
      emit({ type: 'warning', message: `found snapshot ${snapshot} left by an earlier run: removing it` });
      for (const target of mountsUnder(await readMounts(shell), snapshot)) await unmountWithRetry(shell, target, signal);
      await shell.run({ argv: ['btrfs', 'subvolume', 'delete', snapshot] }, signal);
    },

    async open(stack, signal) {
      await shell.run({ argv: ['btrfs', 'subvolume', 'snapshot', '-r', source.subvolume, snapshot] });
      await stack.add(
        {
          kind: 'snapshot',
          id: snapshot,
          title: `Delete snapshot ${snapshot}`,
          release: async (s) => {
            await shell.run({ argv: ['btrfs', 'subvolume', 'delete', snapshot] }, s);
            return 'deleted';
          },
        },
        `read-only snapshot of ${source.subvolume}`,
        signal,
      );
      return snapshot;
    },

    // A btrfs snapshot cannot overflow: it shares the filesystem's free space.
    verify: async () => undefined,

    async withWritable(signal, work) {
      await shell.run({ argv: ['btrfs', 'property', 'set', '-ts', snapshot, 'ro', 'false'] }, signal);
      try {
        await work();
      } finally {
        await shell.run({ argv: ['btrfs', 'property', 'set', '-ts', snapshot, 'ro', 'true'] }, signal);
      }
    },

    livePath: async (rel) => join(source.subvolume, rel),
  };
}
