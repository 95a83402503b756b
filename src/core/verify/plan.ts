import type { LifecycleSettings } from '../instance/lifecycle.js';
import type { S3Location } from '../s3/url.js';

/** Which files are compared: a uniform sample, a share, or all of them; optionally only one slice of t. */
export interface SampleSpec {
  mode: 'count' | 'percent' | 'all';
  /** count: number of files; percent: 0 < value ≤ 100. */
  value?: number;
  /** Slice n of t (1-based): a fixed partition, so slices 1..t together cover every file exactly once. */
  slice?: { index: number; total: number };
  /** Makes the sample reproducible; a random seed is chosen (and reported) when none is given. */
  seed: string;
}

/** What is being verified on this machine: a directory, or a disk (device, partition or image file). */
export interface SourceSpec {
  /** As given, resolved to an absolute path. */
  path: string;
  kind: 'dir' | 'device' | 'image';
  /** The directory below the mounted root (or below the directory) that corresponds to the bucket/prefix. */
  targetDirectory?: string;
}

/** `offsite verify <device-or-dir> --bucket s3://bucket[/prefix]`. */
export interface VerifyS3Plan {
  source: SourceSpec;
  remote: S3Location;
  sample: SampleSpec;
  /** Directory listings, HEADs and file hashes in flight at once. */
  forks: number;
  /** Also stream every sampled object and compare bytes. */
  download: boolean;
  /** Files missing in S3 are warnings (deleted from the bucket since the export), not failures. */
  missingOk: boolean;
}

/** `offsite verify --volume vol-… <dir>`. */
export interface VerifyVolumePlan extends LifecycleSettings {
  volumeId: string;
  /** Absolute path of the local directory the backup was made from. */
  dir: string;
  sample: SampleSpec;
  forks: number;
  missingOk: boolean;
}

/** rclone check's categories, plus "unverified": nothing S3 keeps can vouch for the content (use --download). */
export type Category = 'match' | 'differ' | 'missing-remotely' | 'missing-locally' | 'unreadable' | 'unverified';

export const CATEGORIES: readonly Category[] = ['match', 'differ', 'missing-remotely', 'missing-locally', 'unreadable', 'unverified'];

export interface FileVerdict {
  /** Path relative to the verified root, with '/' separators. */
  path: string;
  category: Category;
  /** The S3 key, or the path on the volume. */
  remote?: string;
  size?: number;
  /** What the content was compared by, strongest first (empty for missing files). */
  evidence: string[];
  /** Why it differs or could not be read or verified. */
  reason?: string;
  /** unreadable: which side could not be read. */
  side?: 'local' | 'remote';
}

export interface VerifyReport {
  /** What was verified and against what. */
  source: string;
  target: string;
  /** The directory whose files were compared (the mount's target directory for disks). */
  root: string;
  sample: { mode: SampleSpec['mode']; value?: number; slice?: string; seed: string };
  /** Regular files found locally (in the slice, when slicing); objects or files found on the other side. */
  localFiles: number;
  remoteFiles: number;
  /** Entries that are neither regular files nor directories (symlinks, devices, sockets): not compared. */
  skippedLocal: number;
  sampled: number;
  counts: Record<Category, number>;
  /** The original's arithmetic: one assertion that the copy exists, one that its content is the same. */
  assertions: { run: number; succeeded: number; failed: number };
  /** Every sampled file, then the files found only on the other side. */
  files: FileVerdict[];
  /** Facts established for the whole backup (the dd image's SHA-256 against its tag); a failed one is a difference. */
  checks: BackupCheck[];
  warnings: string[];
  /** 0 all matched, 3 differences found, 1 could not verify. */
  exitCode: 0 | 1 | 3;
  elapsedMs: number;
}

export interface BackupCheck {
  what: string;
  ok: boolean;
  detail?: string;
}
