import type { TransportChoice } from '../../ssh/bulk-transport.js';
import type { SshOptions } from '../../ssh/types.js';

export type BackupMethod = 'dd' | 'rsync';

/** run-instances settings the user may override (EC2_BACKUP_FLAGS_AWS or long flags). */
export interface InstanceOverrides {
  imageId?: string;
  instanceType?: string;
  keyName?: string;
  securityGroups?: string[];
  securityGroupIds?: string[];
  subnetId?: string;
  iamInstanceProfile?: { name?: string; arn?: string };
  availabilityZone?: string;
  ebsOptimized?: boolean;
}

export interface PhaseTimeouts {
  instanceRunningMs: number;
  volumeMs: number;
  sshMs: number;
  hostKeyMs: number;
  deviceMs: number;
  cleanupMs: number;
  /** Waiting for a snapshot to complete (default one hour). */
  snapshotMs?: number;
}

/** Everything an EBS backup needs, built by the CLI or the wizard; the service never reads flags or env. */
export interface EbsBackupPlan {
  /** Absolute path of the directory to back up. */
  dir: string;
  method: BackupMethod;
  /** Back up onto this existing volume (never deleted by us); otherwise a new one is created. */
  volumeId?: string;
  /** Size of a new volume in GiB; default ceil(2 × directory bytes / GiB), minimum 1. */
  volumeSizeGiB?: number;
  instance: InstanceOverrides;
  ssh: SshOptions;
  /** Minutes after which the instance powers itself off (and so terminates) even if we vanish. */
  selfDestructMinutes: number;
  timeouts: PhaseTimeouts;
  /** How bulk data travels: OpenSSH's client when installed (fast), or the ssh2 session. */
  transport: TransportChoice;
  /** Transfer limit in bytes per second (dd stream or rsync --bwlimit); undefined = unlimited. */
  bandwidthLimit?: number;
  /** Who asked, for the offsite:created-by tag. */
  createdBy: string;
  /** Keep a backup during which files changed (tagged offsite:state=inconsistent) instead of failing. */
  allowChangingFiles?: boolean;
  /** After the verified backup, snapshot the volume (with the same proof tags): a point in time to restore. */
  snapshot?: boolean;
}

export const defaultTimeouts: PhaseTimeouts = {
  instanceRunningMs: 10 * 60_000,
  volumeMs: 5 * 60_000,
  sshMs: 5 * 60_000,
  hostKeyMs: 5 * 60_000,
  deviceMs: 2 * 60_000,
  cleanupMs: 10 * 60_000,
};

export interface EbsBackupResult {
  volumeId: string;
  createdVolume: boolean;
  method: BackupMethod;
  instanceId: string;
  availabilityZone: string;
  /** Bytes sent: the tar stream (dd) or what rsync transferred. */
  bytesTransferred: number;
  /** dd: SHA-256 of the tar stream, which the device's first `bytesTransferred` bytes were proved to match. */
  sha256?: string;
  /** False when files changed while they were read (accepted with allowChangingFiles): not a good backup. */
  consistent: boolean;
  /** The files that changed while they were read, escaped for printing. */
  changedFiles?: string[];
  /** With `snapshot`: the snapshot taken of the volume after the backup. */
  snapshotId?: string;
  elapsedMs: number;
}
