import type { ExportManifest } from './manifest.js';
import type { ServiceName, SnowballSettings } from './service.js';

/** create-job, as the CLI (or a wizard) built it. The service never reads flags, env or a terminal. */
export interface CreateJobPlan {
  service: ServiceName;
  manifest: ExportManifest;
  /** The disk to ship (Import/Export). Optional with --dry-run; never given for Snowball (AWS ships the appliance). */
  device?: string;
  skipFormat: boolean;
  /** Validate with the service (ValidateOnly) and touch no device. */
  dryRun: boolean;
  /** The operator agreed to erase the device (typed its name, or --yes). */
  confirmed: boolean;
  snowball: SnowballSettings;
}

export interface CreateJobResult {
  service: ServiceName;
  dryRun: boolean;
  jobId?: string;
  jobType?: string;
  device?: string;
  /** The filesystem the SIGNATURE file went to. */
  filesystemDevice?: string;
  formatted: boolean;
  signatureWritten: boolean;
  warnings: string[];
  artifacts: { description: string; url: string }[];
  addressId?: string;
  /** Dry run: what would have been sent (redacted). */
  request?: Record<string, unknown>;
  elapsedMs: number;
}

export interface StatusPlan {
  service: ServiceName;
  jobId: string;
  watch: boolean;
  /** Between two polls with --watch. */
  intervalMs: number;
  /** Give up watching after this long (default: never). */
  timeoutMs?: number;
}
