import type { DirMeasure } from '../core/ebs/source-dir.js';
import type { JobSummary, ServiceName } from '../core/export/service.js';
import type { SnowballOutline } from '../core/export/snowball-outline.js';
import type { RestoreAnswers } from './answers.js';
import type { JobAction, SnowballAnswers, VerifyAnswers } from './job-answers.js';
import type { WizardMode } from './screens/mode.js';

export type EbsMode = Extract<WizardMode, { kind: 'ebs' }>;

/** A Snowball job as its screens build it: the manifest read, then each flag as it is chosen. */
export interface SnowballDraft {
  answers: Omit<SnowballAnswers, 'dryRun'>;
  outline: SnowballOutline;
}

/** One screen of the wizard with what the screens before it decided; the app keeps them as a stack for Esc. */
export type Step =
  | { name: 'mode' }
  | { name: 'account'; mode: WizardMode }
  | { name: 'directory'; mode: EbsMode | { kind: 's3' } }
  | { name: 'volume'; mode: EbsMode; dir: string; measure: DirMeasure }
  | { name: 'review'; mode: EbsMode; dir: string; measure: DirMeasure; volume: { volumeId: string } | { sizeGiB: number } }
  | { name: 's3-destination'; dir: string; measure: DirMeasure }
  | { name: 's3-review'; dir: string; measure: DirMeasure; destination: string }
  | { name: 'restore-source' }
  | { name: 'restore-location'; kind: 's3' | 'archive' }
  | { name: 'restore-target'; source: RestoreAnswers['source'] }
  | { name: 'restore-review'; answers: RestoreAnswers }
  | { name: 'export-kind' }
  | { name: 'export-create-service' }
  | { name: 'snowball-manifest' }
  | { name: 'snowball-role'; draft: SnowballDraft }
  | { name: 'snowball-kms'; draft: SnowballDraft }
  | { name: 'snowball-shipping'; draft: SnowballDraft }
  | { name: 'snowball-review'; draft: SnowballDraft }
  | { name: 'export-manifest' }
  | { name: 'export-device'; manifest: string }
  | { name: 'export-review'; manifest: string; device: string | undefined }
  | { name: 'export-service' }
  | { name: 'export-jobs'; service: ServiceName }
  | { name: 'export-action'; service: ServiceName; job: JobSummary }
  | { name: 'export-label-manifest'; service: ServiceName; jobId: string }
  | { name: 'export-job-review'; service: ServiceName; action: JobAction }
  | { name: 'verify-kind' }
  | { name: 'verify-source' }
  | { name: 'verify-bucket'; source: string }
  | { name: 'verify-volume' }
  | { name: 'verify-dir'; volumeId: string }
  | { name: 'verify-sample'; answers: VerifyAnswers }
  | { name: 'verify-sample-size'; answers: VerifyAnswers }
  | { name: 'verify-seed'; answers: VerifyAnswers }
  | { name: 'verify-download'; answers: VerifyAnswers }
  | { name: 'verify-forks'; answers: VerifyAnswers }
  | { name: 'verify-review'; answers: VerifyAnswers }
  | { name: 'archive-profile' }
  | { name: 'archive-review'; profile: string };
