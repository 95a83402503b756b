import { OffsiteError } from '../../errors.js';
import { ImportExportClient, type GetStatusOutput } from '../../aws/importexport/client.js';
import type { SigV2Credentials } from '../../aws/importexport/sigv2.js';
import { classicManifestText, type ExportManifest } from './manifest.js';
import { redactManifestText } from './redact.js';
import type { CreatedJob, ExportService, JobOutcome, JobStatus, JobSummary, ShippingLabel, ValidationOutcome } from './service.js';

/** ProgressCodes after which nothing more happens to the job (from the service's status table). */
const TERMINAL: Record<string, JobOutcome> = {
  Canceled: 'cancelled',
  Expired: 'expired',
  DeviceError: 'failed',
  InvalidSignature: 'failed',
  MissingDevice: 'failed',
  MissingSignature: 'failed',
  UnsupportedDeviceType: 'failed',
  UnsupportedFileFormat: 'failed',
  UnsupportedPowerSupply: 'failed',
  Failed: 'failed',
};

/** Data work finished; an export is over when the device is on its way back (LocationCode Returned). */
const DONE: Record<string, JobOutcome> = { Success: 'success', Complete: 'success', SuccessWithErrors: 'success-with-errors' };

export function importExportService(options: { endpoint?: string; credentials: () => Promise<SigV2Credentials> }): ExportService {
  const client = new ImportExportClient(options);
  return {
    name: 'importexport',

    async signingKeyId() {
      return (await options.credentials()).accessKeyId;
    },

    async validateJob(manifest, signal): Promise<ValidationOutcome> {
      const text = classicManifestText(manifest);
      const out = await client.createJob({ JobType: 'Export', Manifest: text, ValidateOnly: true }, signal);
      return {
        warnings: out.WarningMessage ? [out.WarningMessage] : [],
        request: {
          endpoint: client.endpoint.origin,
          operation: 'CreateJob',
          JobType: 'Export',
          ValidateOnly: true,
          manifestBytes: Buffer.byteLength(text),
          buckets: manifest.fields.operations.map((op) => op.exportBucket),
        },
      };
    },

    async createJob(manifest, signal): Promise<CreatedJob> {
      const out = await client.createJob({ JobType: 'Export', Manifest: classicManifestText(manifest), ValidateOnly: false }, signal);
      if (!out.JobId || !out.SignatureFileContents) throw new OffsiteError('creating the job: the service returned no job id or SIGNATURE contents');
      return {
        jobId: out.JobId,
        jobType: out.JobType ?? 'Export',
        signatureFileContents: out.SignatureFileContents,
        warnings: out.WarningMessage ? [out.WarningMessage] : [],
        artifacts: out.ArtifactList.map((a) => ({ description: a.Description, url: a.URL })),
      };
    },

    async getStatus(jobId, signal) {
      return toJobStatus(jobId, await client.getStatus(jobId, signal));
    },

    async listJobs(options, signal): Promise<JobSummary[]> {
      const all: JobSummary[] = [];
      let marker: string | undefined;
      for (let page = 1; ; page++) {
        const out = await client.listJobs({ ...(options.pageSize ? { MaxJobs: options.pageSize } : {}), ...(marker ? { Marker: marker } : {}) }, signal);
        const jobs = out.Jobs.map((j) => ({
          jobId: j.JobId,
          ...(j.JobType ? { jobType: j.JobType } : {}),
          ...(j.CreationDate ? { creationDate: j.CreationDate } : {}),
          cancelled: j.IsCanceled,
        }));
        options.onPage?.(jobs, page);
        all.push(...jobs);
        const last = out.Jobs.at(-1)?.JobId;
        // The next page starts after the last job of this one; an empty page ends it whatever IsTruncated says.
        if (!out.IsTruncated || !last || last === marker) return all;
        marker = last;
      }
    },

    async cancelJob(jobId, signal) {
      const out = await client.cancelJob(jobId, signal);
      if (!out.Success) throw new OffsiteError(`cancelling job ${jobId}: the service did not confirm the cancellation`);
    },

    async shippingLabel(manifest: ExportManifest, jobId, signal): Promise<ShippingLabel> {
      const a = manifest.fields.returnAddress;
      const out = await client.getShippingLabel(
        {
          jobIds: [jobId],
          name: a.name,
          ...(a.company ? { company: a.company } : {}),
          phoneNumber: a.phoneNumber,
          country: a.country,
          ...(a.stateOrProvince ? { stateOrProvince: a.stateOrProvince } : {}),
          city: a.city,
          postalCode: a.postalCode,
          street1: a.street1,
          ...(a.street2 ? { street2: a.street2 } : {}),
          ...(a.street3 ? { street3: a.street3 } : {}),
        },
        signal,
      );
      if (!out.ShippingLabelURL) throw new OffsiteError(`getting the shipping label for job ${jobId}: the service returned no label URL`);
      return { url: out.ShippingLabelURL, ...(out.Warning ? { warning: out.Warning } : {}) };
    },

    close() {},
  };
}

function toJobStatus(jobId: string, out: GetStatusOutput): JobStatus {
  const state = out.ProgressCode ?? 'Unknown';
  const terminal = TERMINAL[state];
  const returned = out.LocationCode === 'Returned';
  const outcome = terminal ?? (returned ? DONE[state] : undefined);
  const details: Record<string, string> = {};
  const add = (key: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') details[key] = String(value);
  };
  add('location', out.LocationMessage);
  add('progress', out.ProgressMessage);
  add('carrier', out.Carrier);
  add('trackingNumber', out.TrackingNumber);
  add('log', out.LogBucket && out.LogKey ? `s3://${out.LogBucket}/${out.LogKey}` : undefined);
  add('errorCount', out.ErrorCount);
  out.ArtifactList.forEach((a, i) => add(`artifact${i + 1}`, `${a.Description}: ${a.URL}`));
  const currentManifest = out.CurrentManifest ? redactManifestText(out.CurrentManifest) : undefined;
  return {
    jobId: out.JobId ?? jobId,
    ...(out.JobType ? { jobType: out.JobType } : {}),
    state,
    ...(out.LocationCode ? { location: out.LocationCode } : {}),
    ...(out.ProgressMessage ? { message: out.ProgressMessage } : {}),
    final: terminal !== undefined || returned,
    ...(outcome ? { outcome } : {}),
    ...(out.CreationDate ? { creationDate: out.CreationDate } : {}),
    details,
    ...(currentManifest ? { currentManifest } : {}),
  };
}
