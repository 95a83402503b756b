import type { ServiceName } from '../core/export/service.js';
import { awsFlags } from './answers.js';
import type { AwsChoice } from './services.js';

/** A backup proved against its source: a local directory, disk or image against S3, or an EBS volume against a directory. */
export type VerifyAnswers = { against: 's3'; source: string; bucket: string; aws?: AwsChoice } | { against: 'volume'; dir: string; volumeId: string; aws?: AwsChoice };

export function verifyArgv(answers: VerifyAnswers): string[] {
  const what = answers.against === 's3' ? [answers.source, '--bucket', answers.bucket] : [answers.dir, '--volume', answers.volumeId];
  return ['verify', ...what, ...awsFlags(answers.aws), '--non-interactive'];
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
