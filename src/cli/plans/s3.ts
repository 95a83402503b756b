import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseBandwidth } from '../../util/bandwidth.js';
import { parseByteQuantity } from '../../core/s3/byte-quantity.js';
import { readCedarConfig } from '../../core/s3/cedar-config.js';
import { checkDay, localDay } from '../../core/s3/daily-dir.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../../core/checksums/algorithms.js';
import { gpgEncryption, parseEncryptTemplate } from '../../core/s3/encryption.js';
import { MiB, defaultUploadSettings, type CedarPlan, type EncryptionPlan, type S3StorePlan, type ServerSideEncryption, type UploadSettings } from '../../core/s3/plan.js';
import { parseS3Url } from '../../core/s3/url.js';

/** The command line as commander parsed it (strings, unvalidated). */
export interface S3CommandInput {
  dir?: string;
  destination?: string;
  cedarConfig?: string;
  full?: boolean;
  date?: string;
  delete?: boolean;
  dryRun?: boolean;
  storageClass?: string;
  sse?: string;
  sseKmsKeyId?: string;
  encrypt?: string;
  encryptCommand?: string;
  passphraseFile?: string;
  workDir?: string;
  sizeLimit?: string;
  bwlimit?: string;
  concurrency?: string;
  partSize?: string;
  multipartThreshold?: string;
  checksumAlgorithm?: string;
  /** false with --no-resume. */
  resume?: boolean;
}

export type S3Plans = { kind: 'dir'; plan: S3StorePlan } | { kind: 'cedar'; plan: CedarPlan };

export const STORAGE_CLASSES = [
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR',
] as const;

async function checkDirectory(dir: string, source: string, writable = false): Promise<string> {
  if (dir.trim() === '') throw new UsageError(`${source}: the directory is empty`);
  const path = resolve(dir);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError(`${path}: no such directory`);
  if (!info.isDirectory()) throw new UsageError(`${path}: not a directory`);
  try {
    await access(path, constants.R_OK | constants.X_OK | (writable ? constants.W_OK : 0));
  } catch {
    throw new UsageError(`${path}: permission denied${writable ? ' (needs to be writable)' : ''}`);
  }
  return path;
}

function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: '${value}' is not a whole number from ${min} to ${max}`);
  return n;
}

function size(value: string, flag: string, min: number, max: number): number {
  const bytes = parseByteQuantity(value, flag);
  if (bytes < min || bytes > max) throw new UsageError(`${flag}: '${value}' must be between ${min / MiB} MB and ${max / MiB / 1024} GB`);
  return bytes;
}

export function parseChecksumAlgorithm(value: string | undefined, nonAwsEndpoint: boolean): ChecksumAlgorithm {
  if (value === undefined) return nonAwsEndpoint ? 'CRC32' : defaultUploadSettings.checksumAlgorithm;
  const upper = value.toUpperCase() as ChecksumAlgorithm;
  if (!CHECKSUM_ALGORITHMS.includes(upper)) throw new UsageError(`--checksum-algorithm: '${value}' is not one of ${CHECKSUM_ALGORITHMS.join(', ')}`);
  return upper;
}

export function parseSse(sse: string | undefined, keyId: string | undefined): ServerSideEncryption | undefined {
  if (sse === undefined) return keyId ? { kind: 'aws:kms', keyId } : undefined;
  const lower = sse.toLowerCase();
  if (lower === 'aes256' || lower === 's3') {
    if (keyId) throw new UsageError('--sse-kms-key-id needs --sse aws:kms, not AES256');
    return { kind: 'AES256' };
  }
  if (lower === 'aws:kms' || lower === 'kms') return { kind: 'aws:kms', ...(keyId ? { keyId } : {}) };
  throw new UsageError(`--sse: '${sse}' is not AES256 (SSE-S3) or aws:kms (SSE-KMS)`);
}

function uploadSettings(input: S3CommandInput, nonAwsEndpoint: boolean): UploadSettings {
  let storageClass: string | undefined;
  if (input.storageClass !== undefined) {
    storageClass = input.storageClass.toUpperCase();
    if (!(STORAGE_CLASSES as readonly string[]).includes(storageClass)) {
      throw new UsageError(`--storage-class: '${input.storageClass}' is not one of ${STORAGE_CLASSES.join(', ')}`);
    }
  }
  const sse = parseSse(input.sse, input.sseKmsKeyId);
  const partSize = input.partSize ? size(input.partSize, '--part-size', 5 * MiB, 5 * 1024 * MiB) : defaultUploadSettings.partSize;
  const threshold = input.multipartThreshold ? size(input.multipartThreshold, '--multipart-threshold', 5 * MiB, 5 * 1024 * MiB) : Math.max(partSize, defaultUploadSettings.multipartThreshold);
  return {
    ...defaultUploadSettings,
    partSize,
    multipartThreshold: threshold,
    ...(input.concurrency ? { concurrency: wholeNumber(input.concurrency, '--concurrency', 1, 64) } : {}),
    ...(input.bwlimit ? { bandwidthLimit: parseBandwidth(input.bwlimit, '--bwlimit') } : {}),
    ...(storageClass ? { storageClass } : {}),
    ...(sse ? { sse } : {}),
    checksumAlgorithm: parseChecksumAlgorithm(input.checksumAlgorithm, nonAwsEndpoint),
  };
}

async function encryptionFromFlags(input: S3CommandInput): Promise<EncryptionPlan | undefined> {
  if (input.encrypt !== undefined && input.encryptCommand !== undefined) throw new UsageError('--encrypt and --encrypt-command: choose one');
  if (input.encrypt !== undefined) {
    if (input.encrypt === 'none') return { kind: 'none' };
    if (input.encrypt !== 'gpg') throw new UsageError(`--encrypt: unknown method '${input.encrypt}' (use gpg, or --encrypt-command 'TEMPLATE')`);
    return gpgEncryption(input.passphraseFile, '--encrypt gpg');
  }
  if (input.passphraseFile !== undefined) throw new UsageError('--passphrase-file is used with --encrypt gpg only');
  if (input.encryptCommand !== undefined) return parseEncryptTemplate(input.encryptCommand, '--encrypt-command');
  return undefined;
}

function createdBy(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return `${user}@${hostname()}`;
}

/** Builds the typed plan from the command line: local checks only (files, flags, config), no network. */
export async function buildS3Plans(input: S3CommandInput, nonAwsEndpoint: boolean, now = new Date()): Promise<S3Plans> {
  const upload = uploadSettings(input, nonAwsEndpoint);
  const common = { dryRun: Boolean(input.dryRun), resume: input.resume !== false, createdBy: createdBy(), upload };
  if (input.cedarConfig === undefined) {
    if (input.full || input.date) throw new UsageError(`${input.full ? '--full' : '--date'} is for the Cedar Backup mode: add --cedar-config FILE`);
    if (!input.dir || !input.destination) throw new UsageError('give a directory and an s3://bucket[/prefix] URL, or --cedar-config FILE');
    const destination = parseS3Url(input.destination, 'destination');
    const source = await checkDirectory(input.dir, 'directory');
    const encryption = (await encryptionFromFlags(input)) ?? { kind: 'none' };
    const workDir = await checkDirectory(input.workDir ?? tmpdir(), '--work-dir', true);
    const sizeLimit = input.sizeLimit ? { bytes: parseByteQuantity(input.sizeLimit, '--size-limit'), text: input.sizeLimit, name: '--size-limit' } : undefined;
    return {
      kind: 'dir',
      plan: { ...common, source, destination, skipIndicators: false, mirror: Boolean(input.delete), encryption, workDir, ...(sizeLimit ? { sizeLimit } : {}) },
    };
  }
  if (input.dir || input.destination) throw new UsageError('--cedar-config takes no directory or URL: both come from the configuration');
  if (input.delete) throw new UsageError('--delete: the Cedar Backup mode always mirrors the day (after verifying)');
  if (input.sizeLimit) throw new UsageError('--size-limit: the Cedar Backup mode takes its limits from <full_size_limit> and <incr_size_limit>');
  const configPath = resolve(input.cedarConfig);
  const config = await readCedarConfig(configPath);
  const today = input.date ? checkDay(input.date, '--date') : localDay(now);
  const encryption =
    (await encryptionFromFlags(input)) ?? (config.encrypt ? await parseEncryptTemplate(config.encrypt, `${configPath}: <amazons3><encrypt>`) : { kind: 'none' as const });
  const workDir = await checkDirectory(input.workDir ?? config.workingDir ?? tmpdir(), input.workDir ? '--work-dir' : '<options><working_dir>', true);
  return {
    kind: 'cedar',
    plan: {
      configPath,
      stagingRoot: resolve(config.stagingRoot),
      today,
      full: Boolean(input.full),
      warnMidnight: config.warnMidnight,
      ...(config.startingDay ? { startingDay: config.startingDay } : {}),
      target: config.target,
      ...(config.fullSizeLimit ? { fullSizeLimit: config.fullSizeLimit } : {}),
      ...(config.incrementalSizeLimit ? { incrementalSizeLimit: config.incrementalSizeLimit } : {}),
      ...(config.backupUser ? { backupUser: config.backupUser } : {}),
      ...(config.backupGroup ? { backupGroup: config.backupGroup } : {}),
      store: { ...common, encryption, workDir },
    },
  };
}
