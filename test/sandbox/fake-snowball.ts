/**
 * A protocol-level stand-in for AWS Snowball (2016-06-30): JSON 1.1 POSTs with X-Amz-Target
 * AWSIESnowballJobManagementService.<Op>, SigV4 signatures checked (service "snowball", its region), answers and
 * errors in the JSON 1.1 format the SDK reads, and job state machines (DescribeJob walks a job one step per call,
 * with DataTransferProgress while it is InProgress).
 */
import { createHash, createHmac } from 'node:crypto';
import { skewSeconds, startLoopbackServer, type FakeReply, type FakeRequest } from './fake-http.js';

const TARGET_PREFIX = 'AWSIESnowballJobManagementService.';

export interface SnowballStep {
  state: string;
  /** Fraction of the export done, for DataTransferProgress. */
  done?: number;
}

/** An export: AWS loads the appliance (InProgress), ships it, the customer sends it back. */
export const DEFAULT_SNOWBALL_STEPS: SnowballStep[] = [
  { state: 'New' },
  { state: 'PreparingAppliance' },
  { state: 'InProgress', done: 0 },
  { state: 'InProgress', done: 0.4 },
  { state: 'InProgress', done: 0.85 },
  { state: 'InProgress', done: 1 },
  { state: 'PreparingShipment', done: 1 },
  { state: 'InTransitToCustomer', done: 1 },
  { state: 'WithCustomer', done: 1 },
  { state: 'InTransitToAWS', done: 1 },
  { state: 'WithAWS', done: 1 },
  { state: 'Complete', done: 1 },
];

export const EXPORT_TOTAL_BYTES = 5 * 1024 ** 3;
export const EXPORT_TOTAL_OBJECTS = 12_000;

export interface FakeSnowballJob {
  jobId: string;
  created: Date;
  request: Record<string, unknown>;
  cancelled: boolean;
  step: number;
}

export interface FakeSnowballOptions {
  keys: Record<string, string>;
  region: string;
  buckets: string[];
  steps?: SnowballStep[];
  pageLimit?: number;
}

export interface FakeSnowball {
  endpoint: string;
  jobs: Map<string, FakeSnowballJob>;
  addresses: Map<string, Record<string, unknown>>;
  calls: { operation: string; input: Record<string, unknown> }[];
  addJob(options?: { step?: number; cancelled?: boolean; created?: Date }): string;
  stop(): Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startFakeSnowball(options: FakeSnowballOptions): Promise<FakeSnowball> {
  const steps = options.steps ?? DEFAULT_SNOWBALL_STEPS;
  const jobs = new Map<string, FakeSnowballJob>();
  const addresses = new Map<string, Record<string, unknown>>();
  const calls: FakeSnowball['calls'] = [];
  let endpoint = '';

  const addJob = (request: Record<string, unknown>, extra: Partial<FakeSnowballJob> = {}): FakeSnowballJob => {
    const job: FakeSnowballJob = { jobId: `JID${crypto.randomUUID()}`, created: new Date(), request, cancelled: false, step: 0, ...extra };
    jobs.set(job.jobId, job);
    return job;
  };
  const stateOf = (job: FakeSnowballJob): SnowballStep => (job.cancelled ? { state: 'Cancelled' } : steps[Math.min(job.step, steps.length - 1)]!);
  const lastSeen = (job: FakeSnowballJob): SnowballStep => (job.cancelled ? { state: 'Cancelled' } : steps[Math.min(Math.max(job.step - 1, 0), steps.length - 1)]!);
  const find = (id: unknown): FakeSnowballJob => {
    const job = typeof id === 'string' ? jobs.get(id) : undefined;
    if (!job) throw new ServiceError('InvalidResourceException', `The job ${String(id)} does not exist.`);
    return job;
  };

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateAddress(input) {
      const a = (input.Address ?? {}) as Record<string, unknown>;
      for (const field of ['Name', 'Street1', 'City', 'Country', 'PostalCode', 'PhoneNumber']) {
        if (typeof a[field] !== 'string' || a[field] === '') throw new ServiceError('InvalidAddressException', `Address.${field} is required`);
      }
      const id = `ADID${crypto.randomUUID()}`;
      addresses.set(id, a);
      return { AddressId: id };
    },
    CreateJob(input) {
      if (input.JobType !== 'EXPORT') throw new ServiceError('InvalidInputCombinationException', 'this fake takes EXPORT jobs only');
      if (typeof input.AddressId !== 'string' || !addresses.has(input.AddressId)) throw new ServiceError('InvalidAddressException', 'AddressId is not an address of this account');
      if (typeof input.RoleARN !== 'string') throw new ServiceError('InvalidInputCombinationException', 'RoleARN is required for export jobs');
      const resources = ((input.Resources as Record<string, unknown> | undefined)?.S3Resources ?? []) as { BucketArn?: string }[];
      if (resources.length === 0) throw new ServiceError('InvalidInputCombinationException', 'Resources.S3Resources is empty');
      for (const r of resources) {
        const bucket = /^arn:aws:s3:::(.+)$/.exec(r.BucketArn ?? '')?.[1];
        if (!bucket || !options.buckets.includes(bucket)) throw new ServiceError('InvalidResourceException', `The bucket ${r.BucketArn} does not exist.`);
      }
      if (!['SECOND_DAY', 'NEXT_DAY', 'EXPRESS', 'STANDARD'].includes(String(input.ShippingOption))) {
        throw new ServiceError('InvalidInputCombinationException', 'ShippingOption is not valid');
      }
      return { JobId: addJob(input).jobId };
    },
    DescribeJob(input) {
      const job = find(input.JobId);
      const step = stateOf(job);
      if (!job.cancelled) job.step++;
      const metadata: Record<string, unknown> = {
        JobId: job.jobId,
        JobState: step.state,
        JobType: 'EXPORT',
        SnowballType: 'EDGE',
        CreationDate: job.created.getTime() / 1000,
        Description: job.request.Description,
        Resources: job.request.Resources,
        RoleARN: job.request.RoleARN,
        AddressId: job.request.AddressId,
        ShippingDetails: {
          ShippingOption: job.request.ShippingOption,
          ...(['InTransitToCustomer', 'WithCustomer', 'InTransitToAWS', 'WithAWS', 'Complete'].includes(step.state)
            ? { OutboundShipment: { Status: 'Delivered', TrackingNumber: '1Z999AA10123456784' } }
            : {}),
        },
      };
      if (step.done !== undefined) {
        metadata.DataTransferProgress = {
          BytesTransferred: Math.round(EXPORT_TOTAL_BYTES * step.done),
          ObjectsTransferred: Math.round(EXPORT_TOTAL_OBJECTS * step.done),
          TotalBytes: EXPORT_TOTAL_BYTES,
          TotalObjects: EXPORT_TOTAL_OBJECTS,
        };
      }
      if (step.state === 'Complete') metadata.JobLogInfo = { JobCompletionReportURI: `${endpoint}/reports/${job.jobId}.pdf` };
      return { JobMetadata: metadata };
    },
    ListJobs(input) {
      const max = Math.min(typeof input.MaxResults === 'number' ? input.MaxResults : 100, options.pageLimit ?? 100);
      const start = typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8').replace(/^offset:/, '')) : 0;
      if (!Number.isInteger(start) || start < 0) throw new ServiceError('InvalidNextTokenException', 'The token is not valid.');
      const all = [...jobs.values()].sort((a, b) => b.created.getTime() - a.created.getTime() || (a.jobId < b.jobId ? -1 : 1));
      const page = all.slice(start, start + max);
      return {
        JobListEntries: page.map((j) => ({
          JobId: j.jobId,
          JobState: lastSeen(j).state,
          IsMaster: false,
          JobType: 'EXPORT',
          SnowballType: 'EDGE',
          CreationDate: j.created.getTime() / 1000,
          ...(typeof j.request.Description === 'string' ? { Description: j.request.Description } : {}),
        })),
        ...(start + max < all.length ? { NextToken: Buffer.from(`offset:${start + max}`).toString('base64') } : {}),
      };
    },
    CancelJob(input) {
      const job = find(input.JobId);
      const state = lastSeen(job).state;
      if (job.cancelled || state !== 'New') throw new ServiceError('InvalidJobStateException', 'The job can not be canceled in its current state.');
      job.cancelled = true;
      return {};
    },
    GetSnowballUsage: () => ({ SnowballLimit: 2, SnowballsInUse: 0 }),
    GetJobManifest(input) {
      const job = find(input.JobId);
      if (job.cancelled) throw new ServiceError('InvalidJobStateException', 'The job is cancelled.');
      return { ManifestURI: `${endpoint}/manifests/${job.jobId}.bin?X-Amz-Signature=fake` };
    },
    GetJobUnlockCode(input) {
      const job = find(input.JobId);
      if (job.cancelled) throw new ServiceError('InvalidJobStateException', 'The job is cancelled.');
      return { UnlockCode: unlockCodeFor(job.jobId) };
    },
    CreateReturnShippingLabel(input) {
      find(input.JobId);
      return { Status: 'Succeeded' };
    },
    DescribeReturnShippingLabel(input) {
      const job = find(input.JobId);
      return { Status: 'Succeeded', ReturnShippingLabelURI: `${endpoint}/labels/${job.jobId}.pdf`, ExpirationDate: Date.now() / 1000 + 86_400 };
    },
  };

  const handle = (request: FakeRequest): FakeReply => {
    try {
      if (request.method === 'GET') {
        const manifest = /^\/manifests\/(JID[0-9a-f-]+)\.bin/.exec(request.url)?.[1];
        if (manifest && jobs.has(manifest)) return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: manifestBytesFor(manifest) };
        return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
      }
      const target = String(request.headers['x-amz-target'] ?? '');
      if (!target.startsWith(TARGET_PREFIX)) throw new ServiceError('UnknownOperationException', `unknown target ${target}`);
      if (request.headers['content-type'] !== 'application/x-amz-json-1.1') throw new ServiceError('SerializationException', 'Content-Type must be application/x-amz-json-1.1');
      verifySigV4(request, options);
      const operation = target.slice(TARGET_PREFIX.length);
      const op = operations[operation];
      if (!op) throw new ServiceError('UnknownOperationException', `unknown operation ${operation}`);
      const input = (request.body ? JSON.parse(request.body) : {}) as Record<string, unknown>;
      const output = op(input);
      calls.push({ operation, input });
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(output) };
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return {
        status: error.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': error.type },
        body: JSON.stringify({ __type: error.type, message: error.message }),
      };
    }
  };

  const server = await startLoopbackServer(handle);
  endpoint = server.endpoint;
  return {
    endpoint,
    jobs,
    addresses,
    calls,
    addJob(extra = {}) {
      return addJob({ JobType: 'EXPORT', Description: 'seeded job' }, extra).jobId;
    },
    stop: () => server.stop(),
  };
}

export function unlockCodeFor(jobId: string): string {
  return createHash('sha256').update(`unlock:${jobId}`).digest('hex').slice(0, 29).replace(/(.{5})/g, '$1-').replace(/-$/, '');
}

export function manifestBytesFor(jobId: string): Buffer {
  return createHash('sha512').update(`manifest:${jobId}`).digest();
}

/**
 * SigV4 as AWS checks it, written here independently of the SDK: canonical request from the signed headers and the
 * payload hash, the credential scope's date, region and service, and the HMAC chain of the secret key.
 */
function verifySigV4(request: FakeRequest, options: FakeSnowballOptions): void {
  const auth = String(request.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new ServiceError('IncompleteSignatureException', 'Authorization header is missing or malformed', 403);
  const [, keyId, day, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const secret = options.keys[keyId];
  if (secret === undefined) throw new ServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
  if (service !== 'snowball') throw new ServiceError('InvalidSignatureException', `Credential should be scoped to correct service: 'snowball'`, 403);
  if (region !== options.region) throw new ServiceError('InvalidSignatureException', `Credential should be scoped to a valid region '${options.region}'`, 403);
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const when = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!amzDate.startsWith(day) || Number.isNaN(when.getTime()) || skewSeconds(when) > 900) {
    throw new ServiceError('InvalidSignatureException', 'Signature expired or X-Amz-Date does not match the credential scope', 403);
  }
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) throw new ServiceError('InvalidSignatureException', 'host and x-amz-date must be signed', 403);
  const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const declared = request.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== payloadHash) throw new ServiceError('InvalidSignatureException', 'x-amz-content-sha256 does not match the body', 403);
  const path = new URL(request.url, 'http://fake').pathname;
  const canonicalRequest = ['POST', path, '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(day).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  if (createHmac('sha256', key).update(toSign).digest('hex') !== signature) {
    throw new ServiceError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.', 403);
  }
}
