import type { Emit } from '../phases.js';
import type { ArchiveProfile } from './profile.js';
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

/** The mount point a run uses; its name is how a later run recognises a leftover one. */
export const MOUNT_DIR_PREFIX = 'offsite-archive-';
