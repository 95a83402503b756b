import type { LifecycleSettings } from '../instance/lifecycle.js';

/** Where an EBS restore reads from: a backup volume, or a snapshot turned into a temporary volume first. */
export type EbsRestoreSource = { kind: 'volume'; volumeId: string } | { kind: 'snapshot'; snapshotId: string };

/** What every restore shares: where it writes and how careful it is. */
export interface RestoreTargetOptions {
  /** Absolute path; must be empty or absent unless `overwrite`. */
  target: string;
  /** Relative paths to restore (with everything below them); empty: everything. */
  include: string[];
  /** Prove the source and list what would be written; write nothing. */
  dryRun: boolean;
  /** Restore into a TARGET that already holds files: entries of the backup replace same-named ones. */
  overwrite: boolean;
}

/** Everything an EBS restore needs, built by the CLI or the wizard. */
export interface EbsRestorePlan extends RestoreTargetOptions, LifecycleSettings {
  source: EbsRestoreSource;
  /** Restore even when the tags say the backup is incomplete or cannot be proved. */
  force: boolean;
}

/** The summary every restore ends with. */
export interface RestoreResult {
  source: string;
  target: string;
  method: string;
  dryRun: boolean;
  /** Entries written (or, dry run, that would be), directories aside. */
  files: number;
  /** Bytes of regular-file content written. */
  bytes: number;
  /** Entries whose content was proved against the backup's own evidence before they were written. */
  verified: number;
  /** Entries of the backup left out (by --include, or that this mode cannot carry). */
  skipped: number;
  /** The evidence the source was proved with, in words. */
  proof: string;
  elapsedMs: number;
  /** Dry run: the paths that would be written, relative to TARGET. */
  entries?: string[];
}
