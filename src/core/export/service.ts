import type { ExportManifest } from './manifest.js';

/** The two job APIs offsite speaks. Both are closed: Import/Export Disk is retired, Snowball Edge takes no new customers. */
export type ServiceName = 'importexport' | 'snowball';

export const SERVICE_NAMES: readonly ServiceName[] = ['importexport', 'snowball'];

export const SERVICE_TITLES: Record<ServiceName, string> = {
  importexport: 'AWS Import/Export Disk',
  snowball: 'AWS Snowball',
};

/** The one-line notice every export run starts with (a warning event). */
export const RETIRED_NOTICE: Record<ServiceName, string> = {
  importexport: 'AWS Import/Export Disk is retired: AWS no longer accepts jobs; check a manifest with a dry run and keep this for legacy jobs',
  snowball: 'AWS Snowball Edge is closed to new customers (older devices lost support on 12 Nov 2025); do a dry run first',
};

/** Snowball-only settings the classic manifest has no field for (from the manifest's `snowball:` block or flags). */
export interface SnowballSettings {
  roleArn?: string;
  kmsKeyArn?: string;
  shippingOption?: 'SECOND_DAY' | 'NEXT_DAY' | 'EXPRESS' | 'STANDARD';
  snowballType?: string;
  capacity?: string;
  snsTopicArn?: string;
  description?: string;
}

export interface ValidationOutcome {
  /** What the service (or, where it has no validate-only call, our local translation) said. */
  warnings: string[];
  /** A redacted description of the request that would be sent. */
  request: Record<string, unknown>;
}

export interface CreatedJob {
  jobId: string;
  jobType: string;
  /** Text of the SIGNATURE file for the device root (Import/Export only). */
  signatureFileContents?: string;
  warnings: string[];
  artifacts: { description: string; url: string }[];
  /** Snowball: the return address created for the job. */
  addressId?: string;
}

export interface TransferProgress {
  bytesTransferred: number;
  totalBytes: number;
  objectsTransferred?: number;
  totalObjects?: number;
}

export type JobOutcome = 'success' | 'success-with-errors' | 'failed' | 'cancelled' | 'expired';

/** A job's state in the service's own words, plus what offsite needs to decide (final? progress?). */
export interface JobStatus {
  jobId: string;
  jobType?: string;
  /** ProgressCode (Import/Export) or JobState (Snowball). */
  state: string;
  /** LocationCode (Import/Export): NotReceived, AtAWS, Returned. */
  location?: string;
  message?: string;
  /** No further change will come: --watch stops here. */
  final: boolean;
  outcome?: JobOutcome;
  creationDate?: string;
  progress?: TransferProgress;
  /** Printable details (carrier, tracking number, log location, error count …), secrets already removed. */
  details: Record<string, string>;
  /** The manifest the service holds (Import/Export), with trueCryptPassword and pinCode masked. */
  currentManifest?: string;
}

export interface JobSummary {
  jobId: string;
  jobType?: string;
  creationDate?: string;
  /** Import/Export lists only IsCanceled; Snowball lists the state. */
  state?: string;
  cancelled?: boolean;
  description?: string;
}

export interface ShippingLabel {
  url: string;
  warning?: string;
}

/**
 * One job API. Implementations translate to and from their wire format and map the service's error codes to
 * one-line OffsiteErrors; they never print.
 */
export interface ExportService {
  readonly name: ServiceName;
  /** The access key id requests will be signed with, resolved locally (no network call). */
  signingKeyId(): Promise<string>;
  /** Dry run: check the job with the service without creating it (ValidateOnly where the API has it). */
  validateJob(manifest: ExportManifest, signal: AbortSignal): Promise<ValidationOutcome>;
  createJob(manifest: ExportManifest, signal: AbortSignal): Promise<CreatedJob>;
  getStatus(jobId: string, signal: AbortSignal): Promise<JobStatus>;
  /** Every job, all pages; `onPage` sees each page as it arrives. */
  listJobs(options: { pageSize?: number; onPage?: (jobs: JobSummary[], page: number) => void }, signal: AbortSignal): Promise<JobSummary[]>;
  cancelJob(jobId: string, signal: AbortSignal): Promise<void>;
  shippingLabel(manifest: ExportManifest, jobId: string, signal: AbortSignal): Promise<ShippingLabel>;
  /** Snowball only: the encrypted job manifest and its unlock code (keep them apart). */
  jobManifest?(jobId: string, signal: AbortSignal): Promise<Uint8Array>;
  unlockCode?(jobId: string, signal: AbortSignal): Promise<string>;
  close(): void;
}
