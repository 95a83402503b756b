import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { SNAPSHOT_ID, parseVolumeId } from '../../core/ebs/validate.js';
import type { EbsRestorePlan, EbsRestoreSource, RestoreTargetOptions } from '../../core/restore/plan.js';
import type { S3RestorePlan } from '../../core/restore/s3.js';
import { parseAsOf, type ArchiveRestorePlan } from '../../core/restore/archive.js';
import { checkTarget, normalizeIncludes } from '../../core/restore/target.js';
import { gpgEncryption } from '../../core/s3/encryption.js';
import { parseS3Url } from '../../core/s3/url.js';
import { buildInstanceSettings, instanceSettingsInput, type InstanceFlagsInput } from './ebs.js';

/** The command line as commander parsed it: the instance flags are `offsite ebs`'s, the rest restore's own. */
export interface RestoreCommandInput extends InstanceFlagsInput {
  volume?: string;
  snapshot?: string;
  archive?: string;
  asOf?: string;
  list?: boolean;
  include?: string[];
  dryRun?: boolean;
  overwrite?: boolean;
  force?: boolean;
  passphraseFile?: string;
}

type Source = EbsRestoreSource | { kind: 'archive'; dir: string } | { kind: 's3'; url: string };

/** What `offsite restore` runs: the list of restorable backups, or one restore. */
export type RestorePlans =
  | { kind: 'list' }
  | { kind: 'ebs'; plan: EbsRestorePlan }
  | { kind: 's3'; plan: S3RestorePlan }
  | { kind: 'archive'; plan: ArchiveRestorePlan };

/** Exactly one source, and a target: checked locally, before any network call. */
export function parseSource(first: string | undefined, second: string | undefined, input: RestoreCommandInput): { source: Source; target: string } {
  const named: Source[] = [];
  if (input.volume !== undefined) named.push({ kind: 'volume', volumeId: parseVolumeId(input.volume) });
  if (input.snapshot !== undefined) {
    const id = input.snapshot.trim();
    if (!SNAPSHOT_ID.test(id)) throw new UsageError(`--snapshot: '${input.snapshot}' is not a snapshot id (snap- and 8 or 17 hex digits)`);
    named.push({ kind: 'snapshot', snapshotId: id });
  }
  if (input.archive !== undefined) named.push({ kind: 'archive', dir: resolve(input.archive) });
  if (first?.startsWith('s3://')) {
    if (named.length > 0) throw new UsageError('give one source: an s3:// URL, --volume, --snapshot or --archive');
    if (second === undefined) throw new UsageError('missing TARGET: offsite restore s3://bucket/prefix TARGET');
    return { source: { kind: 's3', url: first }, target: checkedTarget(second) };
  }
  if (named.length === 0) throw new UsageError('say what to restore: --volume vol-…, --snapshot snap-…, --archive DIR or s3://bucket/prefix (see --list)');
  if (named.length > 1) throw new UsageError('give one source: --volume, --snapshot, --archive or an s3:// URL');
  if (second !== undefined) throw new UsageError(`unexpected argument '${second}': with --${named[0]!.kind} give only TARGET`);
  if (first === undefined) throw new UsageError('missing TARGET: the directory to restore into');
  if (input.asOf !== undefined && named[0]!.kind !== 'archive') throw new UsageError('--as-of applies to --archive only');
  return { source: named[0]!, target: checkedTarget(first) };
}

function checkedTarget(raw: string): string {
  if (raw.trim() === '') throw new UsageError('TARGET is empty');
  return resolve(raw);
}

/** Parses and checks everything on this machine (the target, the instance settings, the passphrase file). */
export async function buildRestorePlans(first: string | undefined, second: string | undefined, input: RestoreCommandInput): Promise<RestorePlans> {
  if (input.list) {
    if (first !== undefined || input.volume || input.snapshot || input.archive) throw new UsageError('--list takes no source or target');
    return { kind: 'list' };
  }
  const { source, target } = parseSource(first, second, input);
  const options: RestoreTargetOptions = {
    target,
    include: normalizeIncludes(input.include ?? []),
    dryRun: Boolean(input.dryRun),
    overwrite: Boolean(input.overwrite),
  };
  await checkTarget(target, options.overwrite);
  if (source.kind === 'volume' || source.kind === 'snapshot') {
    const settings = await buildInstanceSettings(instanceSettingsInput(input));
    return { kind: 'ebs', plan: { ...settings, ...options, source, force: Boolean(input.force) } };
  }
  if (source.kind === 's3') {
    const location = parseS3Url(source.url, 'SOURCE');
    if (input.force) throw new UsageError('--force applies to EBS volumes and snapshots, not to S3');
    const gpg = input.passphraseFile ? await gpgEncryption(input.passphraseFile, '--passphrase-file') : undefined;
    return { kind: 's3', plan: { ...options, location, concurrency: 4, ...(gpg ? { passphraseFile: gpg.passphraseFile, gpgPath: gpg.gpgPath } : {}) } };
  }
  for (const [flag, given] of [['--force', input.force], ['--passphrase-file', input.passphraseFile]] as const) {
    if (given) throw new UsageError(`${flag} does not apply to --archive`);
  }
  return { kind: 'archive', plan: { ...options, setDir: source.dir, ...(input.asOf !== undefined ? { asOf: parseAsOf(input.asOf) } : {}) } };
}
