import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseVolumeId } from '../../core/ebs/validate.js';
import { parseCedarBucket, parseS3Url, type S3Location } from '../../core/s3/url.js';
import type { SampleSpec, SourceSpec, VerifyS3Plan, VerifyVolumePlan } from '../../core/verify/plan.js';
import { sampleSpec } from './verify-sample.js';

export const DEFAULT_FORKS = 4;
export const PASSWORD_ENV = 'OFFSITE_TRUECRYPT_PASSWORD';
export const BUCKET_ENV = 'OFFSITE_VERIFY_BUCKET';

/** The command line as commander parsed it. */
export interface VerifyInput {
  bucket?: string;
  volume?: string;
  sample?: string;
  all?: boolean;
  seed?: string;
  slice?: string;
  forks?: string;
  download?: boolean;
  missingOk?: boolean;
  targetDirectory?: string;
  passwordFile?: string;
}

/** Verify against S3: the source on this machine, the bucket, the sample; the password file only checked here. */
export async function buildVerifyS3Plan(target: string, input: VerifyInput & { bucket: string }, bucketSource: string, urlOnly: boolean): Promise<VerifyS3Plan> {
  const remote = parseBucket(input.bucket, bucketSource, urlOnly);
  const { sample, forks } = parseCommon(input);
  const source = await sourceSpec(target, input.targetDirectory);
  if (input.passwordFile !== undefined) {
    await access(input.passwordFile, constants.R_OK).catch(() => {
      throw new UsageError(`--password-file ${input.passwordFile}: cannot be read`);
    });
  }
  return { source, remote, sample, forks, download: Boolean(input.download), missingOk: Boolean(input.missingOk) };
}

/** Verify an EBS volume against its directory, through the same instance and SSH settings as `offsite ebs`. */
export async function buildVerifyVolumePlan(target: string, input: VerifyInput): Promise<VerifyVolumePlan> {
  const volumeId = parseVolumeId(input.volume!);
  for (const [flag, given] of [['--download', input.download], ['--target-directory', input.targetDirectory], ['--password-file', input.passwordFile]] as const) {
    if (given !== undefined && given !== false) throw new UsageError(`${flag} applies to --bucket, not to --volume`);
  }
  const { sample, forks } = parseCommon(input);
  // EC2_BACKUP_FLAGS_AWS / EC2_BACKUP_FLAGS_SSH, checked the same way as for a backup.
  const base = await (await import('./ebs.js')).buildEbsPlan({ dir: target, method: 'dd' });
  return {
    volumeId,
    dir: base.dir,
    sample,
    forks,
    missingOk: Boolean(input.missingOk),
    instance: base.instance,
    ssh: base.ssh,
    timeouts: base.timeouts,
    transport: base.transport,
    selfDestructMinutes: base.selfDestructMinutes,
    createdBy: base.createdBy,
  };
}

export interface SamplingFlags {
  sample?: string;
  all?: boolean;
  seed?: string;
  slice?: string;
  forks?: string;
}

export interface Parsed {
  sample: SampleSpec;
  forks: number;
}

/** --sample/--all/--seed/--slice and --forks, checked. */
export function parseCommon(flags: SamplingFlags): Parsed {
  const forks = flags.forks === undefined ? DEFAULT_FORKS : Number(flags.forks);
  if (!Number.isInteger(forks) || forks < 1 || forks > 64) throw new UsageError(`--forks: '${flags.forks}' must be a whole number from 1 to 64`);
  return { sample: sampleSpec(flags), forks };
}

/** The device, image or directory to verify, and --target-directory, checked on this machine. */
export async function sourceSpec(target: string, targetDirectory: string | undefined): Promise<SourceSpec> {
  if (target.trim() === '') throw new UsageError('the device or directory to verify is empty');
  const path = resolve(target);
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${target}: ${error.code === 'ENOENT' ? 'no such file, device or directory' : `cannot read (${error.code})`}`);
  });
  if (targetDirectory !== undefined) {
    const parts = targetDirectory.split('/').filter(Boolean);
    if (isAbsolute(targetDirectory) || parts.length === 0 || parts.some((p) => p === '..' || p === '.')) {
      throw new UsageError(`--target-directory: '${targetDirectory}' must be a relative path inside the disk, without '..'`);
    }
  }
  const kind = info.isDirectory() ? 'dir' : info.isBlockDevice() ? 'device' : info.isFile() ? 'image' : undefined;
  if (!kind) throw new UsageError(`${target}: not a directory, block device or disk image`);
  if (kind === 'dir') {
    await access(path, constants.R_OK | constants.X_OK).catch(() => {
      throw new UsageError(`${target}: directory is not readable`);
    });
    if (targetDirectory !== undefined) {
      const root = resolve(path, targetDirectory);
      const inside = await stat(root).catch(() => undefined);
      if (!inside?.isDirectory()) throw new UsageError(`--target-directory ${targetDirectory}: ${root}: no such directory`);
    }
  }
  if (kind !== 'dir' && process.getuid?.() !== 0) throw new UsageError(`${target}: mounting a disk needs root (run as root, or mount it read-only yourself and pass the directory)`);
  return { path, kind, ...(targetDirectory !== undefined ? { targetDirectory: targetDirectory.split('/').filter(Boolean).join('/') } : {}) };
}

/** A location from --bucket: s3://bucket[/prefix], or (s3export's configuration) a bare bucket name. */
export function parseBucket(value: string, source: string, urlOnly: boolean): S3Location {
  return value.startsWith('s3://') || urlOnly ? parseS3Url(value, source) : parseCedarBucket(value, source);
}
