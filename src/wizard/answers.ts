import type { BackupMethod } from '../core/ebs/plan.js';
import { shellQuote } from '../ssh/quote.js';
import type { AwsChoice } from './services.js';

/** --profile and --region when the operator picked them; nothing when the environment's are used. */
export function awsFlags(aws: AwsChoice | undefined): string[] {
  return [...(aws?.profile ? ['--profile', aws.profile] : []), ...(aws?.region ? ['--region', aws.region] : [])];
}

/** What the operator chose; the wizard turns it into exactly the command a script would run. */
export interface EbsAnswers {
  method: BackupMethod;
  dir: string;
  /** Undefined: a new volume of `sizeGiB`. */
  volumeId?: string;
  sizeGiB?: number;
  aws?: AwsChoice;
}

/** The `offsite` argv for these answers. Destructive choices carry --yes: the review screen got the confirmation. */
export function ebsArgv(answers: EbsAnswers): string[] {
  return [
    'ebs',
    answers.dir,
    '--method',
    answers.method,
    ...(answers.volumeId ? ['--volume', answers.volumeId] : []),
    ...(answers.volumeId && answers.method === 'dd' ? ['--yes'] : []),
    ...(!answers.volumeId && answers.sizeGiB ? ['--size', String(answers.sizeGiB)] : []),
    ...awsFlags(answers.aws),
    '--non-interactive',
  ];
}

/** A directory stored under an S3 prefix. */
export interface S3Answers {
  dir: string;
  destination: string;
  aws?: AwsChoice;
}

export function s3Argv(answers: S3Answers): string[] {
  return ['s3', answers.dir, answers.destination, ...awsFlags(answers.aws), '--non-interactive'];
}

/** An export job: a manifest and a device, or --dry-run (the service validates; no device is touched). */
export interface ExportAnswers {
  manifest: string;
  device?: string;
}

export function exportArgv(answers: ExportAnswers): string[] {
  return answers.device
    ? ['export', 'create-job', answers.manifest, answers.device, '--yes', '--non-interactive']
    : ['export', 'create-job', answers.manifest, '--dry-run', '--non-interactive'];
}

/** A restore: one backup (volume, snapshot, S3 prefix or dar set) into a target directory. */
export interface RestoreAnswers {
  source: { kind: 'volume' | 'snapshot' | 'archive'; id: string } | { kind: 's3'; url: string };
  target: string;
  aws?: AwsChoice;
}

export function restoreArgv(answers: RestoreAnswers): string[] {
  const { source } = answers;
  const from = source.kind === 's3' ? [source.url] : [`--${source.kind}`, source.id];
  // A dar archive is local: no account.
  return ['restore', ...from, answers.target, ...(source.kind === 'archive' ? [] : awsFlags(answers.aws)), '--non-interactive'];
}

export function commandLine(argv: string[]): string {
  return `offsite ${shellQuote(...argv)}`;
}
