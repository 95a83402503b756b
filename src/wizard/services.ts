import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AwsProfile } from '../aws/profiles.js';
import type { DirMeasure } from '../core/ebs/source-dir.js';
import type { VolumeSummary } from '../core/ebs/volume-list.js';
import type { DiskInfo } from '../core/export/devices.js';
import type { JobSummary, ServiceName } from '../core/export/service.js';
import type { SnowballOutline } from '../core/export/snowball-outline.js';
import type { RestorableEntry } from '../core/restore/list.js';
import { OffsiteError, describeError } from '../errors.js';
import { completePath, type Completion } from './complete.js';
import { wizardWording } from './wording.js';

export { completePath };

/** A volume as the volume screen lists it. */
export type VolumeChoiceInfo = VolumeSummary;

/** A disk as the device screen lists it, with why it cannot be shipped, if it cannot. */
export type DeviceChoiceInfo = DiskInfo;

/** The account the operator picked: absent fields mean the environment's (no flag on the command line). */
export interface AwsChoice {
  profile?: string;
  region?: string;
}

/** What the account screen offers. */
export interface AwsSettings {
  profiles: AwsProfile[];
  regions: readonly string[];
  /** AWS_PROFILE / AWS_REGION (or AWS_DEFAULT_REGION) as the environment sets them. */
  envProfile?: string;
  envRegion?: string;
}

/** What the screens need from the outside world; tests pass their own. Checks return why not, or undefined. */
export interface WizardServices {
  listVolumes(aws?: AwsChoice): Promise<VolumeChoiceInfo[]>;
  measure(dir: string): Promise<DirMeasure>;
  complete(partial: string, options?: { files?: boolean }): Promise<Completion>;
  checkDir(dir: string): Promise<string | undefined>;
  /** Undefined when the manifest is valid; otherwise the first problem, with its line number. */
  checkManifest(path: string): Promise<string | undefined>;
  listDevices(): Promise<DeviceChoiceInfo[]>;
  /** The EBS volumes and snapshots offsite restore can read (optional: older test doubles lack it). */
  listBackups?(aws?: AwsChoice): Promise<RestorableEntry[]>;
  /** Undefined when `dir` can take a restore (empty or absent, parent present); otherwise why not. */
  checkRestoreTarget?(dir: string): Promise<string | undefined>;
  /** The bucket of an s3:// URL exists and these credentials reach it in this region (HeadBucket). */
  checkBucket?(url: string, aws?: AwsChoice): Promise<string | undefined>;
  awsSettings?(): Promise<AwsSettings>;
  listExportJobs?(service: ServiceName, aws?: AwsChoice): Promise<JobSummary[]>;
  /** A directory, device or disk image `offsite verify` can read. */
  checkVerifySource?(path: string): Promise<string | undefined>;
  /** An archive profile's steps, or the profile's error (with its line). */
  outlineArchive?(path: string): Promise<{ steps: string[]; warnings: string[] } | { problem: string }>;
  /** A manifest held to Snowball's rules (all but the role, asked next): what the job would be, or the first problem. */
  outlineSnowball?(path: string): Promise<SnowballOutline | { problem: string }>;
}

/** Paths as typed (~, relative) made absolute: the command line must work from any directory. */
export function absolutePath(typed: string): string {
  return resolve(typed.startsWith('~') ? join(homedir(), typed.slice(1)) : typed);
}

/** An operator's error in the wizard's words (fields, choices, never flags); anything else as it came. */
export const wizardMessage = (error: unknown): string => (error instanceof OffsiteError ? describeError(error, wizardWording) : (error as Error).message);

/** A check's failure as the one line the screen shows. */
export const reason = (check: Promise<unknown>): Promise<string | undefined> => check.then(() => undefined, wizardMessage);

const flags = (aws: AwsChoice = {}) => ({ ...(aws.region ? { region: aws.region } : {}), ...(aws.profile ? { profile: aws.profile } : {}) });

/** The real services: a thin adapter over the core's read-only queries. */
export function defaultServices(): WizardServices {
  return {
    listVolumes: async (aws) => {
      const [{ withEc2 }, { listVolumes }] = await Promise.all([import('../aws/ec2-query.js'), import('../core/ebs/volume-list.js')]);
      return withEc2(flags(aws), listVolumes);
    },
    measure: async (dir) => (await import('../core/ebs/source-dir.js')).measureDir(dir),
    complete: (partial, options) => completePath(partial, process.cwd(), options),
    checkManifest: async (path) => reason(import('../core/export/manifest.js').then((m) => m.readManifest(path))),
    listDevices: async () => (await import('../core/export/devices.js')).listDisks(),
    listBackups: async (aws) => {
      const [{ withEc2 }, { listRestorable }] = await Promise.all([import('../aws/ec2-query.js'), import('../core/restore/list.js')]);
      return withEc2(flags(aws), listRestorable);
    },
    checkRestoreTarget: async (dir) => reason(import('../core/restore/target.js').then((m) => m.checkTarget(absolutePath(dir), false))),
    checkDir: async (dir) => reason(import('../core/ebs/source-dir.js').then((m) => m.checkSourceDir(absolutePath(dir)))),
    checkBucket: async (url, aws) => reason(import('../core/s3/reach.js').then((m) => m.checkBucketReach(url, flags(aws)))),
    awsSettings: async () => {
      const { listAwsProfiles, AWS_REGIONS } = await import('../aws/profiles.js');
      const envRegion = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      return {
        profiles: await listAwsProfiles(),
        regions: AWS_REGIONS,
        ...(process.env.AWS_PROFILE ? { envProfile: process.env.AWS_PROFILE } : {}),
        ...(envRegion ? { envRegion } : {}),
      };
    },
    listExportJobs: async (service, aws) => (await import('../core/export/job-list.js')).listJobsOf(service, flags(aws)),
    checkVerifySource: async (path) => reason(import('../core/verify/source-check.js').then((m) => m.checkVerifySource(absolutePath(path)))),
    outlineArchive: async (path) => {
      const { readArchiveOutline } = await import('../core/archive/outline.js');
      return readArchiveOutline(absolutePath(path)).catch((error: unknown) => ({ problem: wizardMessage(error) }));
    },
    outlineSnowball: async (path) => {
      const { readSnowballOutline } = await import('../core/export/snowball-outline.js');
      return readSnowballOutline(absolutePath(path)).catch((error: unknown) => ({ problem: wizardMessage(error) }));
    },
  };
}
