import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Emit } from '../phases.js';
import { btrfsSource } from './btrfs.js';
import { lvmSource } from './lvm.js';
import type { ArchiveProfile, PlainSource } from './profile.js';
import type { ResourceStack } from './resources.js';
import type { Shell } from './shell.js';

/** A place to archive from: a snapshot of a live filesystem (LVM, btrfs) or a plain directory. */
export interface SnapshotSource {
  /** "LVM snapshot data/os-backsnap of data/os", for titles. */
  readonly description: string;
  /** Checks that change nothing: the origin exists, the kernel can do it. */
  check(signal: AbortSignal): Promise<void>;
  /** A snapshot left by a crashed run is removed, once we know it really is a snapshot of our origin. */
  cleanStale(signal: AbortSignal): Promise<void>;
  /** Makes the snapshot (each piece onto the stack) and returns the directory to archive. */
  open(stack: ResourceStack, signal: AbortSignal): Promise<string>;
  /** After dar has read it: is the snapshot still whole? (A full LVM snapshot turns invalid.) */
  verify(signal: AbortSignal): Promise<void>;
  /** Runs `work` with the read-only snapshot writable, to create missing bind-mount targets. */
  withWritable(signal: AbortSignal, work: () => Promise<void>): Promise<void>;
  /** Where a path of the future snapshot can be looked at now (for --noop), if anywhere. */
  livePath(rel: string): Promise<string | undefined>;
}

export interface SourceContext {
  shell: Shell;
  profile: ArchiveProfile;
  emit: Emit;
  runId: string;
  /** Where mount points are made (the system's temp dir). */
  tmpDir: string;
}

export function makeSource(context: SourceContext): SnapshotSource {
  const { source } = context.profile;
  if (source.type === 'lvm') return lvmSource(source, context);
  if (source.type === 'btrfs') return btrfsSource(source, context);
  return plainSource(source, context);
}

/** No snapshot: the directory is archived live (dar reports files that changed while it read them). */
function plainSource(source: PlainSource, context: SourceContext): SnapshotSource {
  const { shell, profile } = context;
  return {
    description: `directory ${source.root} (no snapshot)`,
    check: async () => {
      if (!(await shell.runner.exists(source.root))) {
        throw new UsageError(`${profile.file}:${profile.lines['backup.source_root']}: [backup] source_root: ${source.root} does not exist`);
      }
    },
    cleanStale: async () => undefined,
    open: async () => source.root,
    verify: async () => undefined,
    withWritable: async (_signal, work) => work(),
    livePath: async (rel) => join(source.root, rel),
  };
}

/** The mount point a run uses; its name is how a later run recognises a leftover one. */
export const MOUNT_DIR_PREFIX = 'offsite-archive-';
