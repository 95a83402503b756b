import type { RunLedger } from '../ledger/ledger.js';
import type { ArchiveKind } from './chain.js';
import type { DarStats } from './dar.js';
import type { ArchiveProfile, SourceType } from './profile.js';
import type { CommandRunner } from './runner.js';

/** Everything one `offsite archive` run needs, built by the CLI from the profile and flags. */
export interface ArchivePlan {
  profile: ArchiveProfile;
  /** Print the commands, change nothing (read-only queries still run: the plan needs their answers). */
  noop: boolean;
}

export interface ArchiveDeps {
  runner: CommandRunner;
  /** Absent under --noop: a plan that creates nothing records nothing. */
  ledger?: RunLedger;
  runId: string;
  /** Where the per-profile lock lives (the offsite state directory). */
  stateDir: string;
  /** Where the snapshot's mount point is made. */
  tmpDir: string;
  now: () => Date;
  /** Sizes the tree before dar runs, for a progress total; a seam for the recorded LVM runs. */
  measure?: (root: string, signal: AbortSignal) => Promise<{ bytes: number; files: number }>;
}

export interface ArchiveResult {
  profile: string;
  noop: boolean;
  source: SourceType;
  /** "btrfs snapshot /snaps/x of /data" */
  snapshot: string;
  kind: ArchiveKind;
  /** Base name; the files are <set>/<archive>.N.dar */
  archive: string;
  parent?: string;
  /** The monthly set directory, <target>/YYYY-MM. */
  set: string;
  slices: string[];
  /** Bytes of all slices. */
  bytes: number;
  /** Bytes and files in the archived tree (measured before dar). */
  sourceBytes?: number;
  sourceFiles?: number;
  catalogue?: string;
  tested: boolean;
  stats: DarStats;
  /** The rsync mirror's target, when it ran and succeeded. */
  mirroredTo?: string;
  /** Every command in order (the --noop plan, or what ran). */
  commands: string[];
  elapsedMs: number;
}
