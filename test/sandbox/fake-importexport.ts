/**
 * A protocol-level stand-in for the retired AWS Import/Export API (2010-06-01): form-encoded Query POSTs to
 * /?Operation=<Op>, SigV2 signatures checked against its own key table, XML answers in the service's format,
 * and per-job state machines (GetStatus walks a job one step further each call). No moto backend exists for it.
 */
import { createHmac, randomInt } from 'node:crypto';
import { isMap, parseDocument } from 'yaml';
import { skewSeconds, startLoopbackServer, type FakeReply, type FakeRequest } from './fake-http.js';

const NS = 'http://importexport.amazonaws.com/doc/2010-06-01/';

export interface ImportExportStep {
  location: 'NotReceived' | 'AtAWS' | 'Returned';
  progress: string;
  message?: string;
}

/** What a disk export goes through: waiting for the disk, loading it, done and sent back. */
export const DEFAULT_STEPS: ImportExportStep[] = [
  { location: 'NotReceived', progress: 'Pending', message: 'The specified job has not started.' },
  { location: 'AtAWS', progress: 'Pending', message: 'Your device is at AWS.' },
  { location: 'AtAWS', progress: 'InProgress', message: 'The data is being copied to your device.' },
  { location: 'AtAWS', progress: 'Success', message: 'The data was copied to your device.' },
  { location: 'Returned', progress: 'Success', message: 'Your device has been returned.' },
];

export interface FakeImportExportJob {
  jobId: string;
  created: Date;
  manifest: string;
  accessKeyId: string;
  signatureFileContents: string;
  cancelled: boolean;
  /** Index into the steps of the state the next GetStatus reports. */
  step: number;
}

export interface FakeImportExportOptions {
  /** access key id → secret access key. */
  keys: Record<string, string>;
  /** Buckets that exist (export and log buckets). */
  buckets: string[];
  steps?: ImportExportStep[];
  /** The most jobs one ListJobs page holds, whatever MaxJobs asks. */
  pageLimit?: number;
  /** Hold the answer to a real (not validate-only) CreateJob this long: the job exists, the client waits. */
  createDelayMs?: number;
}

export interface ReceivedCall {
  operation: string;
  /** The request target, e.g. /?Operation=CreateJob. */
  url: string;
  accessKeyId: string;
  params: Record<string, string>;
}

export interface FakeImportExport {
  endpoint: string;
  jobs: Map<string, FakeImportExportJob>;
  calls: ReceivedCall[];
  /** A job made directly (for listings and states the test wants to start from). */
  addJob(options?: { step?: number; cancelled?: boolean; created?: Date; accessKeyId?: string }): string;
  stop(): Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const JOB_ID_CHARS = '123456789ABCDEFGHIJKLMNPQRSTUVWXYZ'; // the documented alphabet: no 0, no O

export async function startFakeImportExport(options: FakeImportExportOptions): Promise<FakeImportExport> {
  const steps = options.steps ?? DEFAULT_STEPS;
  const jobs = new Map<string, FakeImportExportJob>();
  const calls: ReceivedCall[] = [];
  const firstKey = Object.keys(options.keys)[0] ?? 'AKIDEXAMPLE';

  const newJobId = (): string => {
    for (;;) {
      const id = Array.from({ length: 5 }, () => JOB_ID_CHARS[randomInt(JOB_ID_CHARS.length)]).join('');
      if (!jobs.has(id)) return id;
    }
  };
  const makeJob = (manifest: string, accessKeyId: string, extra: Partial<FakeImportExportJob> = {}): FakeImportExportJob => {
    const jobId = newJobId();
    const secret = options.keys[accessKeyId] ?? 'unknown';
    // The SIGNATURE scheme of the service's documentation: HMAC-SHA1 over "<jobId>\n<manifest with LF line ends>".
    const signature = createHmac('sha1', secret).update(`${jobId}\n${manifest.replace(/\r\n/g, '\n')}`).digest('base64');
    const job: FakeImportExportJob = {
      jobId,
      created: new Date(),
      manifest,
      accessKeyId,
      signatureFileContents: `version:2.0\nsigningMethod:HmacSHA1\njobId:${jobId}\nsignature:${signature}\n`,
      cancelled: false,
      step: 0,
      ...extra,
    };
    jobs.set(jobId, job);
    return job;
  };

  const operations: Record<string, (p: Record<string, string>, key: string) => string> = {
    CreateJob(p, key) {
      for (const name of ['JobType', 'Manifest', 'ValidateOnly']) if (p[name] === undefined) throw new ServiceError('MissingParameterException', `${name} is required`);
      if (p.JobType !== 'Export' && p.JobType !== 'Import') throw new ServiceError('InvalidParameterException', 'JobType must be Import or Export');
      if (p.ValidateOnly !== 'true' && p.ValidateOnly !== 'false') throw new ServiceError('InvalidParameterException', 'ValidateOnly must be true or false');
      checkManifest(p.Manifest!, key, options.buckets);
      const warning = '<WarningMessage>Remember to ship the device with its SIGNATURE file.</WarningMessage>';
      if (p.ValidateOnly === 'true') return `<JobType>${p.JobType}</JobType>${warning}`;
      const job = makeJob(p.Manifest!, key);
      return (
        `<JobId>${job.jobId}</JobId><JobType>${p.JobType}</JobType><Signature>${xmlEscape(job.signatureFileContents.split('signature:')[1]!.trim())}</Signature>` +
        `<SignatureFileContents>${xmlEscape(job.signatureFileContents)}</SignatureFileContents>${warning}` +
        `<ArtifactList><member><Description>Packing slip</Description><URL>https://importexport.example/${job.jobId}/slip.pdf</URL></member></ArtifactList>`
      );
    },
    GetStatus(p) {
      const job = findJob(jobs, p.JobId);
      const step = job.cancelled ? { location: 'NotReceived', progress: 'Canceled', message: 'The job was canceled.' } : steps[Math.min(job.step, steps.length - 1)]!;
      if (!job.cancelled) job.step++;
      const returned = step.location === 'Returned';
      const done = step.progress === 'Success' || step.progress === 'SuccessWithErrors';
      return [
        `<JobId>${job.jobId}</JobId><JobType>Export</JobType>`,
        `<LocationCode>${step.location}</LocationCode><LocationMessage>${step.location === 'AtAWS' ? 'Your device is at AWS.' : step.location}</LocationMessage>`,
        `<ProgressCode>${step.progress}</ProgressCode><ProgressMessage>${xmlEscape(step.message ?? step.progress)}</ProgressMessage>`,
        returned ? '<Carrier>UPS</Carrier><TrackingNumber>1Z999AA10123456784</TrackingNumber>' : '',
        done ? `<LogBucket>${xmlEscape(logBucketOf(job.manifest))}</LogBucket><LogKey>export-log-${job.jobId}</LogKey><ErrorCount>0</ErrorCount>` : '',
        `<CurrentManifest>${xmlEscape(job.manifest)}</CurrentManifest>`,
        `<CreationDate>${job.created.toISOString().replace(/\.\d{3}Z$/, 'Z')}</CreationDate>`,
        `<SignatureFileContents>${xmlEscape(job.signatureFileContents)}</SignatureFileContents><ArtifactList/>`,
      ].join('');
    },
    CancelJob(p) {
      const job = findJob(jobs, p.JobId);
      if (job.cancelled) throw new ServiceError('CanceledJobIdException', 'The specified job ID has been canceled and is no longer valid.');
      const current = steps[Math.min(Math.max(job.step - 1, 0), steps.length - 1)]!;
      if (current.location !== 'NotReceived') throw new ServiceError('UnableToCancelJobIdException', 'AWS Import/Export cannot cancel the job');
      job.cancelled = true;
      return '<Success>true</Success>';
    },
    ListJobs(p) {
      const max = Math.min(Number(p.MaxJobs ?? 1000), options.pageLimit ?? 1000);
      if (!Number.isInteger(max) || max < 1) throw new ServiceError('InvalidParameterException', 'MaxJobs must be a positive integer');
      const all = [...jobs.values()].sort((a, b) => b.created.getTime() - a.created.getTime() || (a.jobId < b.jobId ? -1 : 1));
      const start = p.Marker === undefined ? 0 : all.findIndex((j) => j.jobId === p.Marker) + 1;
      if (p.Marker !== undefined && start === 0) throw new ServiceError('InvalidParameterException', 'Marker is not a job of this account');
      const page = all.slice(start, start + max);
      const members = page
        .map((j) => `<member><JobId>${j.jobId}</JobId><CreationDate>${j.created.toISOString()}</CreationDate><IsCanceled>${j.cancelled}</IsCanceled><JobType>Export</JobType></member>`)
        .join('');
      return `<Jobs>${members}</Jobs><IsTruncated>${start + max < all.length}</IsTruncated>`;
    },
    GetShippingLabel(p) {
      const ids = Object.keys(p)
        .filter((k) => /^jobIds\.member\.\d+$/.test(k))
        .sort()
        .map((k) => p[k]!);
      if (ids.length === 0) throw new ServiceError('MissingParameterException', 'jobIds is required');
      for (const id of ids) if (findJob(jobs, id).cancelled) throw new ServiceError('CanceledJobIdException', `${id} has been canceled`);
      for (const field of ['name', 'street1', 'city', 'postalCode', 'country', 'phoneNumber']) {
        if (!p[field]) throw new ServiceError('MissingParameterException', `${field} is required`);
      }
      return `<ShippingLabelURL>https://importexport.example/labels/${ids.join('-')}.pdf</ShippingLabelURL><Warning></Warning>`;
    },
  };

  const handle = async (request: FakeRequest): Promise<FakeReply> => {
    const url = new URL(request.url, 'http://fake');
    // The model routes by /?Operation=<Op>; the v2 SDK posts to / and names the operation only in Action.
    const routed = url.searchParams.get('Operation');
    try {
      if (request.method !== 'POST') throw new ServiceError('InvalidAction', 'Only POST is supported', 405);
      if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        throw new ServiceError('InvalidParameterException', 'Content-Type must be application/x-www-form-urlencoded');
      }
      const params = Object.fromEntries(new URLSearchParams(request.body));
      const operation = params.Action ?? '';
      if (routed !== null && routed !== operation) throw new ServiceError('InvalidParameterException', `Action ${operation} does not match Operation ${routed}`);
      if (params.Version !== '2010-06-01') throw new ServiceError('InvalidParameterException', `unsupported Version ${params.Version}`);
      const key = verifySigV2(request, url.pathname, params, options.keys);
      const op = operations[operation];
      if (!op) throw new ServiceError('InvalidAction', `The action ${operation} is not valid for this web service.`);
      const result = op(params, key);
      calls.push({ operation, url: request.url, accessKeyId: key, params });
      if (operation === 'CreateJob' && params.ValidateOnly === 'false' && options.createDelayMs) {
        await new Promise((resolve) => setTimeout(resolve, options.createDelayMs));
      }
      return xmlReply(200, `<${operation}Response xmlns="${NS}"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></${operation}Response>`);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      const type = error.status >= 500 ? 'Receiver' : 'Sender';
      return xmlReply(
        error.status,
        `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
  };

  const server = await startLoopbackServer(handle);
  return {
    endpoint: server.endpoint,
    jobs,
    calls,
    addJob(extra = {}) {
      const job = makeJob(`manifestVersion: 2.0\naccessKeyId: ${extra.accessKeyId ?? firstKey}\nlogBucket: seeded-log-bucket\n`, extra.accessKeyId ?? firstKey, {
        ...(extra.step !== undefined ? { step: extra.step } : {}),
        ...(extra.cancelled !== undefined ? { cancelled: extra.cancelled } : {}),
        ...(extra.created ? { created: extra.created } : {}),
      });
      return job.jobId;
    },
    stop: () => server.stop(),
  };
}

/**
 * SigV2 as the service checked it, written independently of offsite's signer: the string to sign is the method,
 * the Host header, the path and the parameters (without Signature) sorted by name and RFC 3986-encoded.
 */
function verifySigV2(request: FakeRequest, path: string, params: Record<string, string>, keys: Record<string, string>): string {
  const key = params.AWSAccessKeyId;
  if (!key) throw new ServiceError('MissingParameterException', 'AWSAccessKeyId is required', 403);
  const secret = keys[key];
  if (secret === undefined) throw new ServiceError('InvalidClientTokenId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
  if (params.SignatureVersion !== '2') throw new ServiceError('InvalidParameterException', 'SignatureVersion must be 2', 403);
  const algorithm = { HmacSHA256: 'sha256', HmacSHA1: 'sha1' }[params.SignatureMethod ?? ''];
  if (!algorithm) throw new ServiceError('InvalidParameterException', 'SignatureMethod must be HmacSHA256 or HmacSHA1', 403);
  const stamp = new Date(params.Timestamp ?? '');
  if (Number.isNaN(stamp.getTime()) || skewSeconds(stamp) > 900) throw new ServiceError('RequestExpired', 'Request has expired or the Timestamp is missing', 403);
  const encode = (s: string): string => encodeURIComponent(s).replace(/[!*'()]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const query = Object.entries(params)
    .filter(([name]) => name !== 'Signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => encode(name) + '=' + encode(value))
    .join('&');
  const host = String(request.headers.host ?? '').toLowerCase();
  const expected = createHmac(algorithm, secret).update(`POST\n${host}\n${path}\n${query}`).digest('base64');
  if (params.Signature !== expected) {
    throw new ServiceError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', 403);
  }
  return key;
}

/** The service's own manifest checks, enough to answer with its error codes. */
function checkManifest(text: string, signingKey: string, buckets: string[]): void {
  const doc = parseDocument(text, { schema: 'failsafe' });
  if (doc.errors.length > 0 || !isMap(doc.contents)) throw new ServiceError('MalformedManifestException', 'Your manifest is not well-formed');
  const m = doc.toJS() as Record<string, unknown>;
  for (const field of ['manifestVersion', 'accessKeyId', 'deviceId', 'fileSystem', 'logBucket', 'operations', 'returnAddress']) {
    if (m[field] === undefined || m[field] === '') throw new ServiceError('MissingManifestFieldException', `The manifest is missing the field ${field}`);
  }
  if (m.manifestVersion !== '2.0') throw new ServiceError('InvalidManifestFieldException', 'manifestVersion must be 2.0');
  if (m.accessKeyId !== signingKey) throw new ServiceError('InvalidAccessKeyIdException', "The manifest's accessKeyId does not match the request's");
  if (!['EXT4', 'NTFS'].includes(String(m.fileSystem).toUpperCase())) throw new ServiceError('InvalidFileSystemException', 'fileSystem must be NTFS or EXT4');
  if (m.trueCryptPassword === undefined && m.pinCode === undefined) throw new ServiceError('MissingManifestFieldException', 'Export jobs require trueCryptPassword or pinCode');
  if (m.snowball !== undefined) throw new ServiceError('InvalidManifestFieldException', 'snowball is not a manifest field');
  const operations = Array.isArray(m.operations) ? (m.operations as Record<string, string>[]) : [];
  const named = [String(m.logBucket), ...operations.map((op) => op.exportBucket ?? '')];
  for (const bucket of named) if (!buckets.includes(bucket)) throw new ServiceError('NoSuchBucketException', `The specified bucket does not exist: ${bucket}`);
  const address = m.returnAddress as Record<string, string>;
  for (const field of ['name', 'street1', 'city', 'postalCode', 'country', 'phoneNumber']) {
    if (!address?.[field]) throw new ServiceError('InvalidAddressException', `returnAddress.${field} is required`);
  }
}

function findJob(jobs: Map<string, FakeImportExportJob>, id: string | undefined): FakeImportExportJob {
  if (!id) throw new ServiceError('MissingParameterException', 'JobId is required');
  const job = jobs.get(id.toUpperCase());
  if (!job) throw new ServiceError('InvalidJobIdException', `No such job ${id}`);
  return job;
}

function logBucketOf(manifest: string): string {
  return /^logBucket:\s*(\S+)/m.exec(manifest)?.[1] ?? '';
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlReply(status: number, body: string): FakeReply {
  return { status, headers: { 'content-type': 'text/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` };
}
