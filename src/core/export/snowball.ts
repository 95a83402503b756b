import {
  CancelJobCommand,
  CreateAddressCommand,
  CreateJobCommand,
  CreateReturnShippingLabelCommand,
  DescribeJobCommand,
  DescribeReturnShippingLabelCommand,
  GetJobManifestCommand,
  GetJobUnlockCodeCommand,
  GetSnowballUsageCommand,
  ListJobsCommand,
  type JobMetadata,
  type SnowballClient,
} from '@aws-sdk/client-snowball';
import { ExitCode } from '../../exit-codes.js';
import { InterruptedError, OffsiteError, UsageError } from '../../errors.js';
import { awsError, isAwsError } from '../../aws/errors.js';
import { pollUntil } from '../../util/poll.js';
import type { CreatedJob, ExportService, JobStatus, JobSummary, SnowballSettings, ValidationOutcome } from './service.js';
import { translateManifest } from './snowball-translate.js';

const FINAL_STATES: Record<string, JobStatus['outcome']> = { Complete: 'success', Cancelled: 'cancelled' };

/** The service's error names in plain words; exit 2 where the operator must change the input. */
const ERRORS: Record<string, { text: string; usage: boolean }> = {
  InvalidResourceException: { text: 'no such job, bucket or address in this account and region', usage: true },
  InvalidJobStateException: { text: 'not possible in the job\'s current state', usage: false },
  KMSRequestFailedException: { text: 'the KMS key cannot be used (check kmsKeyArn and its key policy)', usage: true },
  InvalidAddressException: { text: 'the return address is not valid for Snowball', usage: true },
  UnsupportedAddressException: { text: 'Snowball does not ship to this address', usage: true },
  InvalidInputCombinationException: { text: 'this combination of job options is not allowed', usage: true },
  Ec2RequestFailedException: { text: 'an EC2 request made for the job failed', usage: false },
  ClusterLimitExceededException: { text: 'the job limit for this account is reached', usage: false },
  InvalidNextTokenException: { text: 'the listing changed while it was paged; run it again', usage: false },
  ConflictException: { text: 'a conflicting request is already in progress', usage: false },
  InvalidSignatureException: { text: 'the request signature was rejected: check the secret access key', usage: true },
  UnrecognizedClientException: { text: 'AWS does not know this access key id', usage: true },
  ExpiredTokenException: { text: 'the session token has expired: refresh your credentials', usage: true },
};

export function snowballService(options: { client: SnowballClient; region: string; settings: SnowballSettings }): ExportService {
  const { client, region, settings } = options;
  const send = async <T>(action: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw snowballError(error, action);
    }
  };
  const opts = (signal: AbortSignal) => ({ abortSignal: signal });

  return {
    name: 'snowball',

    async signingKeyId() {
      try {
        return (await client.config.credentials()).accessKeyId;
      } catch {
        throw new UsageError('no AWS credentials found: configure a profile (AWS_PROFILE), environment keys or an instance role');
      }
    },

    async validateJob(manifest, signal): Promise<ValidationOutcome> {
      // Snowball has no validate-only call: check what can be checked without creating anything.
      const { job } = translateManifest(manifest, settings, region);
      const usage = await send('checking the Snowball limit', () => client.send(new GetSnowballUsageCommand({}), opts(signal)));
      const warnings: string[] = [];
      if (usage.SnowballLimit !== undefined && (usage.SnowballsInUse ?? 0) >= usage.SnowballLimit) {
        warnings.push(`this account already uses ${usage.SnowballsInUse} of its ${usage.SnowballLimit} Snowball devices`);
      }
      return {
        warnings,
        request: {
          region,
          operations: ['CreateAddress', 'CreateJob'],
          JobType: job.JobType,
          S3Resources: job.Resources?.S3Resources,
          ShippingOption: job.ShippingOption,
          ...(job.RoleARN ? { RoleARN: job.RoleARN } : {}),
          ...(job.KmsKeyARN ? { KmsKeyARN: job.KmsKeyARN } : {}),
          ...(job.SnowballType ? { SnowballType: job.SnowballType } : {}),
        },
      };
    },

    async createJob(manifest, signal): Promise<CreatedJob> {
      const { address, job } = translateManifest(manifest, settings, region);
      const created = await send('creating the return address', () => client.send(new CreateAddressCommand({ Address: address }), opts(signal)));
      if (!created.AddressId) throw new OffsiteError('creating the return address: the service returned no AddressId');
      const out = await send('creating the job', () => client.send(new CreateJobCommand({ ...job, AddressId: created.AddressId }), opts(signal)));
      if (!out.JobId) throw new OffsiteError('creating the job: the service returned no JobId');
      return { jobId: out.JobId, jobType: 'EXPORT', warnings: [], artifacts: [], addressId: created.AddressId };
    },

    async getStatus(jobId, signal) {
      const out = await send(`describing job ${jobId}`, () => client.send(new DescribeJobCommand({ JobId: jobId }), opts(signal)));
      if (!out.JobMetadata) throw new OffsiteError(`describing job ${jobId}: the service returned no job metadata`);
      return toJobStatus(jobId, out.JobMetadata, out.SubJobMetadata?.length ?? 0);
    },

    async listJobs(options, signal): Promise<JobSummary[]> {
      const all: JobSummary[] = [];
      let token: string | undefined;
      for (let page = 1; ; page++) {
        const out = await send('listing jobs', () =>
          client.send(new ListJobsCommand({ ...(options.pageSize ? { MaxResults: options.pageSize } : {}), ...(token ? { NextToken: token } : {}) }), opts(signal)),
        );
        const jobs = (out.JobListEntries ?? []).map((j) => ({
          jobId: j.JobId ?? '',
          ...(j.JobType ? { jobType: j.JobType } : {}),
          ...(j.CreationDate ? { creationDate: j.CreationDate.toISOString() } : {}),
          ...(j.JobState ? { state: j.JobState, cancelled: j.JobState === 'Cancelled' } : {}),
          ...(j.Description ? { description: j.Description } : {}),
        }));
        options.onPage?.(jobs, page);
        all.push(...jobs);
        if (!out.NextToken || out.NextToken === token) return all;
        token = out.NextToken;
      }
    },

    async cancelJob(jobId, signal) {
      try {
        await client.send(new CancelJobCommand({ JobId: jobId }), opts(signal));
      } catch (error) {
        if (!isAwsError(error, 'InvalidJobStateException')) throw snowballError(error, `cancelling job ${jobId}`);
        // Name the state: "can no longer be cancelled" means little without it.
        const state = await client
          .send(new DescribeJobCommand({ JobId: jobId }), opts(signal))
          .then((d) => d.JobMetadata?.JobState)
          .catch(() => undefined);
        throw new OffsiteError(
          `cancelling job ${jobId}: it can no longer be cancelled${state ? `: it is ${state}` : ''} (Snowball jobs can be cancelled only before PreparingAppliance) (InvalidJobStateException)`,
        );
      }
    },

    async shippingLabel(_manifest, jobId, signal) {
      try {
        await client.send(new CreateReturnShippingLabelCommand({ JobId: jobId }), opts(signal));
      } catch (error) {
        if (!isAwsError(error, 'ReturnShippingLabelAlreadyExistsException')) throw snowballError(error, `creating the return shipping label for job ${jobId}`);
      }
      const label = await pollUntil(
        async () => {
          const out = await send(`getting the return shipping label for job ${jobId}`, () =>
            client.send(new DescribeReturnShippingLabelCommand({ JobId: jobId }), opts(signal)),
          );
          if (out.Status === 'Failed' || out.Status === 'TimedOut') throw new OffsiteError(`the return shipping label for job ${jobId} could not be made (${out.Status})`);
          return out.Status === 'Succeeded' && out.ReturnShippingLabelURI ? out.ReturnShippingLabelURI : undefined;
        },
        { signal, timeoutMs: 120_000, minDelayMs: 1_000, what: `the return shipping label of job ${jobId}` },
      );
      return { url: label };
    },

    async jobManifest(jobId, signal) {
      const out = await send(`getting the manifest of job ${jobId}`, () => client.send(new GetJobManifestCommand({ JobId: jobId }), opts(signal)));
      if (!out.ManifestURI) throw new OffsiteError(`getting the manifest of job ${jobId}: the service returned no ManifestURI`);
      let response: Response;
      try {
        response = await fetch(out.ManifestURI, { signal });
      } catch (error) {
        if (signal.aborted) throw new InterruptedError();
        throw new OffsiteError(`downloading the manifest of job ${jobId}: ${(error as Error).message}`);
      }
      if (!response.ok) throw new OffsiteError(`downloading the manifest of job ${jobId}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },

    async unlockCode(jobId, signal) {
      const out = await send(`getting the unlock code of job ${jobId}`, () => client.send(new GetJobUnlockCodeCommand({ JobId: jobId }), opts(signal)));
      if (!out.UnlockCode) throw new OffsiteError(`getting the unlock code of job ${jobId}: the service returned none`);
      return out.UnlockCode;
    },

    close() {
      client.destroy();
    },
  };
}

function toJobStatus(jobId: string, m: JobMetadata, subJobs: number): JobStatus {
  const state = m.JobState ?? 'Unknown';
  const details: Record<string, string> = {};
  const add = (key: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') details[key] = String(value);
  };
  add('description', m.Description);
  add('snowballType', m.SnowballType);
  add('shippingOption', m.ShippingDetails?.ShippingOption);
  add('outbound', shipment(m.ShippingDetails?.OutboundShipment));
  add('inbound', shipment(m.ShippingDetails?.InboundShipment));
  add('completionReport', m.JobLogInfo?.JobCompletionReportURI);
  add('successLog', m.JobLogInfo?.JobSuccessLogURI);
  add('failureLog', m.JobLogInfo?.JobFailureLogURI);
  if (subJobs > 0) add('subJobs', subJobs);
  const p = m.DataTransferProgress;
  const outcome = FINAL_STATES[state];
  return {
    jobId: m.JobId ?? jobId,
    ...(m.JobType ? { jobType: m.JobType } : {}),
    state,
    final: outcome !== undefined,
    ...(outcome ? { outcome } : {}),
    ...(m.CreationDate ? { creationDate: m.CreationDate.toISOString() } : {}),
    ...(p && p.TotalBytes !== undefined
      ? {
          progress: {
            bytesTransferred: p.BytesTransferred ?? 0,
            totalBytes: p.TotalBytes,
            ...(p.ObjectsTransferred !== undefined ? { objectsTransferred: p.ObjectsTransferred } : {}),
            ...(p.TotalObjects !== undefined ? { totalObjects: p.TotalObjects } : {}),
          },
        }
      : {}),
    details,
  };
}

function shipment(s: { Status?: string; TrackingNumber?: string } | undefined): string | undefined {
  if (!s?.Status && !s?.TrackingNumber) return undefined;
  return [s.Status, s.TrackingNumber ? `tracking ${s.TrackingNumber}` : undefined].filter(Boolean).join(', ');
}

function snowballError(error: unknown, action: string): OffsiteError {
  if (error instanceof OffsiteError) return error;
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const known = e.name ? ERRORS[e.name] : undefined;
  if (known) return new OffsiteError(`${action}: ${known.text} (${e.name}: ${(e.message ?? '').split('\n')[0]})`, known.usage ? ExitCode.usage : ExitCode.failed);
  const net = e.code ?? e.cause?.code;
  if (net && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET'].includes(net)) {
    return new OffsiteError(`${action}: cannot reach the Snowball endpoint (${net})`);
  }
  return awsError(error, action);
}
