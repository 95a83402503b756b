import type { ServiceName, SnowballSettings } from '../core/export/service.js';
import { awsFlags } from './answers.js';
import type { AwsChoice } from './services.js';

/** How much verify compares and how: absent fields are the command's defaults (no flag). */
export interface VerifySampling {
  /** `--sample`: a number of files ("250") or a share ("5%"). */
  sample?: string;
  all?: boolean;
  seed?: string;
  /** S3 only: download each sampled object and compare its bytes. */
  download?: boolean;
  forks?: number;
}

/** A backup proved against its source: a local directory, disk or image against S3, or an EBS volume against a directory. */
export type VerifyAnswers = ({ against: 's3'; source: string; bucket: string } | { against: 'volume'; dir: string; volumeId: string }) & { aws?: AwsChoice; sampling?: VerifySampling };

export function verifyArgv(answers: VerifyAnswers): string[] {
  const what = answers.against === 's3' ? [answers.source, '--bucket', answers.bucket] : [answers.dir, '--volume', answers.volumeId];
  const s = answers.sampling ?? {};
  const sampling = [
    ...(s.all ? ['--all'] : s.sample ? ['--sample', s.sample] : []),
    ...(s.seed ? ['--seed', s.seed] : []),
    ...(s.download ? ['--download'] : []),
    ...(s.forks ? ['--forks', String(s.forks)] : []),
  ];
  return ['verify', ...what, ...sampling, ...awsFlags(answers.aws), '--non-interactive'];
}

/** A Snowball export job: its manifest, what flags add to it, and whether the service only validates it (--dry-run). */
export interface SnowballAnswers {
  manifest: string;
  roleArn?: string;
  kmsKeyArn?: string;
  shippingOption?: NonNullable<SnowballSettings['shippingOption']>;
  dryRun: boolean;
  aws?: AwsChoice;
}

export function snowballArgv(answers: SnowballAnswers): string[] {
  return [
    'export',
    'create-job',
    answers.manifest,
    '--service',
    'snowball',
    ...(answers.roleArn ? ['--role-arn', answers.roleArn] : []),
    ...(answers.kmsKeyArn ? ['--kms-key-arn', answers.kmsKeyArn] : []),
    ...(answers.shippingOption ? ['--shipping-option', answers.shippingOption] : []),
    ...(answers.dryRun ? ['--dry-run'] : []),
    ...awsFlags(answers.aws),
    '--non-interactive',
  ];
}

/** An archive run from a profile; `noop` prints every command and changes nothing. */
export interface ArchiveAnswers {
  profile: string;
  noop: boolean;
}

export function archiveArgv(answers: ArchiveAnswers): string[] {
  return ['archive', ...(answers.noop ? ['--noop'] : []), answers.profile, '--non-interactive'];
}

/** One thing done with the export jobs that already exist. */
export type JobAction =
  | { kind: 'list' }
  | { kind: 'status'; jobId: string; watch: boolean }
  | { kind: 'cancel'; jobId: string }
  | { kind: 'label'; jobId: string; manifest: string };

export interface JobAnswers {
  service: ServiceName;
  action: JobAction;
  aws?: AwsChoice;
}

export function jobArgv(answers: JobAnswers): string[] {
  const { action } = answers;
  const command =
    action.kind === 'list'
      ? ['list-jobs']
      : action.kind === 'status'
        ? ['get-status', action.jobId, ...(action.watch ? ['--watch'] : [])]
        : action.kind === 'cancel'
          ? ['cancel-job', action.jobId]
          : ['get-shipping-label', action.manifest, action.jobId];
  // The default service needs no flag; --region matters to Snowball only, but is harmless on Import/Export.
  return ['export', ...command, ...(answers.service === 'snowball' ? ['--service', 'snowball'] : []), ...awsFlags(answers.aws), '--non-interactive'];
}
