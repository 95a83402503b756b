import type { ChecksumAlgorithm } from '../checksums/algorithms.js';
import type { S3Location } from './url.js';

/** How files are encrypted before they leave the machine. */
export type EncryptionPlan =
  | { kind: 'none' }
  /** Built in: symmetric OpenPGP through the gpg binary; the passphrase stays in its file (gpg reads it). */
  | { kind: 'gpg'; passphraseFile: string; gpgPath: string }
  /** Cedar's template: argv split once, `${input}` and `${output}` substituted inside each argument, no shell. */
  | { kind: 'command'; template: string; argv: string[] };

export type ServerSideEncryption = { kind: 'AES256' } | { kind: 'aws:kms'; keyId?: string };

export interface UploadSettings {
  /** Part size of multipart uploads (≥ 5 MiB, S3's minimum). */
  partSize: number;
  /** Files of at least this size go up in parts (and can resume part by part). */
  multipartThreshold: number;
  /** Server-side copies of objects larger than this use UploadPartCopy (S3's CopyObject limit is 5 GiB). */
  copyPartThreshold: number;
  /** Requests in flight at once; small files up to eight times as many (bodies: concurrency × part size). */
  concurrency: number;
  /** Attempts per request before the run fails (network errors, 5xx, throttling). */
  attempts: number;
  /** Bytes per second over all uploads together; undefined = unlimited. */
  bandwidthLimit?: number;
  /** Storage class of the stored objects (staging copies are always STANDARD). */
  storageClass?: string;
  sse?: ServerSideEncryption;
  checksumAlgorithm: ChecksumAlgorithm;
}

/** Everything `offsite s3` needs, built by the CLI (or the Cedar action); the service never reads flags or env. */
export interface S3StorePlan {
  /** Absolute path of the directory whose regular files are stored. */
  source: string;
  destination: S3Location;
  /** Cedar mode: files named cback.* (Cedar's indicators) are neither stored nor compared, on either side. */
  skipIndicators: boolean;
  /** Cedar mode: a symlink to a file is stored as the file's bytes, as Cedar's `aws s3 cp` does. */
  followSymlinks?: boolean;
  /** Remove objects under the destination that are not in the source, once everything else has verified. */
  mirror: boolean;
  encryption: EncryptionPlan;
  /** Parent of the private temporary directory that holds encrypted copies. */
  workDir: string;
  upload: UploadSettings;
  /** Refuse before sending anything when the source's files add up to more than this. */
  sizeLimit?: SizeLimit;
  /** Look, compare and report; upload, copy and delete nothing. */
  dryRun: boolean;
  /** false: discard what interrupted runs left behind (incomplete uploads, staged objects) and start over. */
  resume: boolean;
  /** Who asked, for the offsite-created-by metadata. */
  createdBy: string;
}

export interface SizeLimit {
  bytes: number;
  /** As the user wrote it ("2.5 GB"). */
  text: string;
  /** Which limit: Cedar's full or incremental one, or --size-limit. */
  name: string;
}

export const MiB = 1024 * 1024;

export const defaultUploadSettings: UploadSettings = {
  // As the aws CLI: parts of 8 MiB, more of them in flight, so large files move at the peers' pace.
  partSize: 8 * MiB,
  multipartThreshold: 16 * MiB,
  copyPartThreshold: 5 * 1024 * MiB,
  concurrency: 4,
  attempts: 4,
  checksumAlgorithm: 'CRC64NVME',
};

export interface S3StoreResult {
  /** s3://bucket/prefix/ */
  destination: string;
  /** Regular files in the source that belong to the backup, and their bytes. */
  files: number;
  bytes: number;
  /** Files sent in this run (fully or the rest of a resumed upload) and the bytes that went over the wire. */
  uploaded: number;
  uploadedBytes: number;
  /** Parts of earlier, interrupted multipart uploads that were kept instead of sent again. */
  resumedParts: number;
  /** Whole files an interrupted run had already staged and verified, used as they were. */
  reusedStaged: number;
  /** Files whose stored object already matched (same SHA-256, same encryption): nothing sent. */
  unchanged: number;
  /** Objects removed from the destination because the source no longer has them (mirror mode). */
  removed: number;
  /** Objects proved after the run: present, same size and same checksum. */
  verified: number;
  /** Entries that are not regular files (symlinks, sockets, …): not stored. */
  skipped: number;
  encryption: EncryptionPlan['kind'];
  checksumAlgorithm: ChecksumAlgorithm;
  dryRun: boolean;
  /** Dry run only: the keys that would be sent and removed. */
  wouldUpload?: string[];
  wouldRemove?: string[];
  elapsedMs: number;
}

/** The Cedar Backup amazons3 action, as read from cback3.conf and the command line. */
export interface CedarPlan {
  configPath: string;
  /** `<stage><staging_dir>`: daily directories live below it as YYYY/MM/DD. */
  stagingRoot: string;
  /** The calendar day taken as today (local time), "YYYY-MM-DD". */
  today: string;
  /** --full: today's directory only, its cback.amazons3 indicator ignored, the full size limit. */
  full: boolean;
  warnMidnight: boolean;
  /** `<options><starting_day>` (monday … sunday): the full limit applies on that day. */
  startingDay?: string;
  /** `<s3_bucket>`: bucket and optional sub-path; the day goes below it as YYYY/MM/DD/. */
  target: S3Location;
  fullSizeLimit?: SizeLimit;
  incrementalSizeLimit?: SizeLimit;
  /** Owner of the indicator file when we run as root (Cedar's backup_user / backup_group). */
  backupUser?: string;
  backupGroup?: string;
  /** Upload settings, encryption, work dir, dry-run and resume, shared with the plain mode. */
  store: Omit<S3StorePlan, 'source' | 'destination' | 'skipIndicators' | 'mirror' | 'sizeLimit'>;
}

export interface CedarResult extends S3StoreResult {
  /** The daily staging directory that was stored. */
  stagingDir: string;
  /** "YYYY/MM/DD", also the key prefix below the bucket's sub-path. */
  day: string;
  /** Which size limit applied ('full' or 'incremental'), if one was configured. */
  limit?: string;
  /** Path of the cback.amazons3 indicator written after success (absent in a dry run). */
  indicator?: string;
}
