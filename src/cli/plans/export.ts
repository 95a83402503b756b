import { UsageError } from '../../errors.js';
import { parseJobId } from '../../core/export/job-id.js';
import { readManifest, type ExportManifest } from '../../core/export/manifest.js';
import { checkManifestFor } from '../../core/export/manifest-rules.js';
import { SnowballBlockSchema } from '../../core/export/manifest-schema.js';
import type { CreateJobPlan, StatusPlan } from '../../core/export/plan.js';
import type { ServiceName, SnowballSettings } from '../../core/export/service.js';

/** The command line of every export command as commander parsed it (global options included). */
export interface ExportCommandInput {
  service?: string;
  yes?: boolean;
  skipFormat?: boolean;
  dryRun?: boolean;
  roleArn?: string;
  kmsKeyArn?: string;
  shippingOption?: string;
  watch?: boolean;
  interval?: number;
  timeout?: number;
  pageSize?: number;
  output?: string;
}

export type CredentialKind = 'manifest' | 'unlock-code';

/** Which export command, with its arguments as typed. */
export type ExportRequest =
  | { command: 'create-job'; manifestPath: string; devicePath?: string }
  | { command: 'get-status'; jobId: string }
  | { command: 'list-jobs' }
  | { command: 'cancel-job'; jobId: string }
  | { command: 'get-shipping-label'; manifestPath: string; jobId: string }
  | { command: 'get-job-manifest' | 'get-unlock-code'; jobId: string };

/** What the export command runs: the service it talks to and the typed plan of one job command. */
export type ExportPlan = { service: ServiceName } & (
  | { command: 'create-job'; plan: CreateJobPlan; manifestPath: string }
  | { command: 'get-status'; plan: StatusPlan }
  | { command: 'list-jobs'; pageSize?: number }
  | { command: 'cancel-job'; jobId: string }
  | { command: 'get-shipping-label'; manifest: ExportManifest; manifestPath: string; jobId: string }
  | { command: 'get-job-manifest' | 'get-unlock-code'; what: CredentialKind; jobId: string; output: string }
);

/**
 * Checks the arguments and builds the plan; local checks only (the manifest file, the flags), no network. The
 * manifest's secrets go into `secrets` as soon as it is read, so that a failure after that is masked too.
 */
export async function buildExportPlan(request: ExportRequest, input: ExportCommandInput, secrets: string[]): Promise<ExportPlan> {
  const service = (input.service as ServiceName | undefined) ?? 'importexport';
  const loadManifest = async (path: string): Promise<ExportManifest> => {
    const manifest = await readManifest(path);
    secrets.push(...manifest.secrets);
    return manifest;
  };
  switch (request.command) {
    case 'create-job': {
      const { manifestPath, devicePath } = request;
      const settings = snowballSettings(input);
      const manifest = await loadManifest(manifestPath);
      if (service === 'snowball' && devicePath) throw new UsageError(`${devicePath}: Snowball jobs use an appliance AWS ships to you; leave out <device-path>`);
      if (service === 'importexport' && !devicePath && !input.dryRun) throw new UsageError('create-job needs <device-path>: the disk you will ship (or --dry-run to only validate)');
      checkManifestFor(service, manifest, settings); // the service checks it again and reports warnings; here it fails early
      const plan: CreateJobPlan = {
        service,
        manifest,
        ...(devicePath ? { device: devicePath } : {}),
        skipFormat: Boolean(input.skipFormat),
        dryRun: Boolean(input.dryRun),
        confirmed: Boolean(input.yes),
        snowball: settings,
      };
      return { service, command: 'create-job', plan, manifestPath };
    }
    case 'get-status': {
      const plan: StatusPlan = {
        service,
        jobId: parseJobId(request.jobId, service),
        watch: Boolean(input.watch),
        intervalMs: (input.interval ?? 60) * 1000,
        ...(input.timeout ? { timeoutMs: input.timeout * 1000 } : {}),
      };
      return { service, command: 'get-status', plan };
    }
    case 'list-jobs':
      return { service, command: 'list-jobs', ...(input.pageSize ? { pageSize: input.pageSize } : {}) };
    case 'cancel-job':
      return { service, command: 'cancel-job', jobId: parseJobId(request.jobId, service) };
    case 'get-shipping-label': {
      const manifest = await loadManifest(request.manifestPath);
      return { service, command: 'get-shipping-label', manifest, manifestPath: request.manifestPath, jobId: parseJobId(request.jobId, service) };
    }
    case 'get-job-manifest':
    case 'get-unlock-code': {
      if (service !== 'snowball') throw new UsageError(`${request.command} is a Snowball command: add --service snowball`);
      if (!input.output) throw new UsageError(`${request.command} needs --output FILE`);
      const what: CredentialKind = request.command === 'get-job-manifest' ? 'manifest' : 'unlock-code';
      return { service, command: request.command, what, jobId: parseJobId(request.jobId, service), output: input.output };
    }
  }
}

/** Snowball flags, checked with the manifest schema's own rules so both spellings fail alike. */
export function snowballSettings(input: ExportCommandInput): SnowballSettings {
  const checked: SnowballSettings = {};
  for (const [flag, key, value] of [
    ['--role-arn', 'roleArn', input.roleArn],
    ['--kms-key-arn', 'kmsKeyArn', input.kmsKeyArn],
  ] as const) {
    if (value === undefined) continue;
    const parsed = SnowballBlockSchema.shape[key].safeParse(value);
    if (!parsed.success) throw new UsageError(`${flag}: ${parsed.error.issues[0]?.message ?? 'is not valid'}`);
    checked[key] = parsed.data;
  }
  if (input.shippingOption) checked.shippingOption = input.shippingOption as NonNullable<SnowballSettings['shippingOption']>;
  return checked;
}
