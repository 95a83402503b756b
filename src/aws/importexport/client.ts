import { XMLParser } from 'fast-xml-parser';
import { InterruptedError, OffsiteError } from '../../errors.js';
import { importExportError } from './errors.js';
import { canonicalQuery, signParams, type SigV2Credentials } from './sigv2.js';

export const IMPORT_EXPORT_API_VERSION = '2010-06-01';
export const IMPORT_EXPORT_GLOBAL_ENDPOINT = 'https://importexport.amazonaws.com';

export interface Artifact {
  Description: string;
  URL: string;
}

export interface CreateJobInput {
  JobType: 'Import' | 'Export';
  Manifest: string;
  ValidateOnly: boolean;
  ManifestAddendum?: string;
}

export interface CreateJobOutput {
  JobId?: string;
  JobType?: string;
  Signature?: string;
  SignatureFileContents?: string;
  WarningMessage?: string;
  ArtifactList: Artifact[];
}

export interface GetStatusOutput {
  JobId?: string;
  JobType?: string;
  LocationCode?: string;
  LocationMessage?: string;
  ProgressCode?: string;
  ProgressMessage?: string;
  Carrier?: string;
  TrackingNumber?: string;
  LogBucket?: string;
  LogKey?: string;
  ErrorCount?: number;
  Signature?: string;
  SignatureFileContents?: string;
  CurrentManifest?: string;
  CreationDate?: string;
  ArtifactList: Artifact[];
}

export interface ListedJob {
  JobId: string;
  CreationDate?: string;
  IsCanceled: boolean;
  JobType?: string;
}

export interface ListJobsOutput {
  Jobs: ListedJob[];
  IsTruncated: boolean;
}

export interface ShippingLabelInput {
  jobIds: string[];
  name?: string;
  company?: string;
  phoneNumber?: string;
  country?: string;
  stateOrProvince?: string;
  city?: string;
  postalCode?: string;
  street1?: string;
  street2?: string;
  street3?: string;
}

export interface ImportExportClientOptions {
  /** Default: the global endpoint. */
  endpoint?: string;
  credentials: () => Promise<SigV2Credentials>;
  now?: () => Date;
  /** Per request; the service answers in well under a minute. */
  timeoutMs?: number;
}

type Xml = Record<string, unknown>;

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, isArray: (name) => name === 'member' });

/**
 * The classic AWS Import/Export API (2010-06-01): Query protocol, every operation a form-encoded POST to
 * `/?Operation=<Op>`, signed with SigV2, answered in XML. No SDK v3 client exists, so this is ours.
 */
export class ImportExportClient {
  readonly endpoint: URL;
  private readonly credentials: () => Promise<SigV2Credentials>;
  private readonly now: () => Date;
  private readonly timeoutMs: number;

  constructor(options: ImportExportClientOptions) {
    this.endpoint = new URL(options.endpoint ?? IMPORT_EXPORT_GLOBAL_ENDPOINT);
    this.credentials = options.credentials;
    this.now = options.now ?? (() => new Date());
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async createJob(input: CreateJobInput, signal: AbortSignal): Promise<CreateJobOutput> {
    const params = {
      JobType: input.JobType,
      Manifest: input.Manifest,
      ValidateOnly: String(input.ValidateOnly),
      ...(input.ManifestAddendum !== undefined ? { ManifestAddendum: input.ManifestAddendum } : {}),
    };
    const r = await this.call('CreateJob', params, input.ValidateOnly ? 'validating the job' : 'creating the job', signal);
    return {
      ...strings(r, ['JobId', 'JobType', 'Signature', 'SignatureFileContents', 'WarningMessage']),
      ArtifactList: artifacts(r),
    };
  }

  async getStatus(jobId: string, signal: AbortSignal): Promise<GetStatusOutput> {
    const r = await this.call('GetStatus', { JobId: jobId }, `getting the status of job ${jobId}`, signal, true);
    const errorCount = text(r.ErrorCount);
    return {
      ...strings(r, [
        'JobId',
        'JobType',
        'LocationCode',
        'LocationMessage',
        'ProgressCode',
        'ProgressMessage',
        'Carrier',
        'TrackingNumber',
        'LogBucket',
        'LogKey',
        'Signature',
        'SignatureFileContents',
        'CurrentManifest',
        'CreationDate',
      ]),
      ...(errorCount ? { ErrorCount: Number(errorCount) } : {}),
      ArtifactList: artifacts(r),
    };
  }

  async listJobs(input: { MaxJobs?: number; Marker?: string }, signal: AbortSignal): Promise<ListJobsOutput> {
    const params: Record<string, string> = {};
    if (input.MaxJobs !== undefined) params.MaxJobs = String(input.MaxJobs);
    if (input.Marker !== undefined) params.Marker = input.Marker;
    const r = await this.call('ListJobs', params, 'listing jobs', signal, true);
    const jobs = members(r.Jobs).map((m) => ({
      JobId: text(m.JobId) ?? '',
      ...strings(m, ['CreationDate', 'JobType']),
      IsCanceled: text(m.IsCanceled) === 'true',
    }));
    return { Jobs: jobs, IsTruncated: text(r.IsTruncated) === 'true' };
  }

  async cancelJob(jobId: string, signal: AbortSignal): Promise<{ Success: boolean }> {
    const r = await this.call('CancelJob', { JobId: jobId }, `cancelling job ${jobId}`, signal);
    return { Success: text(r.Success) === 'true' };
  }

  async getShippingLabel(input: ShippingLabelInput, signal: AbortSignal): Promise<{ ShippingLabelURL?: string; Warning?: string }> {
    const { jobIds, ...address } = input;
    const params: Record<string, string> = {};
    jobIds.forEach((id, i) => (params[`jobIds.member.${i + 1}`] = id));
    for (const [key, value] of Object.entries(address)) if (value !== undefined) params[key] = value;
    const r = await this.call('GetShippingLabel', params, `getting the shipping label for job ${jobIds.join(', ')}`, signal);
    return strings(r, ['ShippingLabelURL', 'Warning']);
  }

  /** One signed call; returns the contents of `<Op>Result`. Reads are retried on 5xx and dropped connections. */
  private async call(operation: string, input: Record<string, string>, action: string, signal: AbortSignal, idempotent = false): Promise<Xml> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(operation, input, action, signal);
      } catch (error) {
        const retry = idempotent && attempt < 3 && error instanceof TransientError && !signal.aborted;
        if (!retry) throw error instanceof TransientError ? error.final : error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  private async send(operation: string, input: Record<string, string>, action: string, signal: AbortSignal): Promise<Xml> {
    const credentials = await this.credentials();
    const path = this.endpoint.pathname || '/';
    const params = signParams(
      { method: 'POST', host: this.endpoint.host, path, params: { Action: operation, Version: IMPORT_EXPORT_API_VERSION, ...input } },
      credentials,
      this.now(),
    );
    let response: Response;
    let body: string;
    try {
      response = await fetch(`${this.endpoint.origin}${path}?Operation=${operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: canonicalQuery(params),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      body = await response.text();
    } catch (error) {
      if (signal.aborted) throw new InterruptedError();
      const e = error as { name?: string; cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') throw new TransientError(new OffsiteError(`${action}: ${this.endpoint.host} did not answer within ${this.timeoutMs / 1000} s`));
      throw new TransientError(new OffsiteError(`${action}: cannot reach ${this.endpoint.host} (${e.cause?.code ?? e.cause?.message ?? e.name ?? 'network error'})`));
    }
    const parsed = parseXml(body);
    if (response.ok) {
      const result = (parsed?.[`${operation}Response`] as Xml | undefined)?.[`${operation}Result`];
      if (result === undefined) throw new OffsiteError(`${action}: the service's answer has no ${operation}Result`);
      return typeof result === 'object' && result !== null ? (result as Xml) : {};
    }
    const failure = (parsed?.ErrorResponse as Xml | undefined)?.Error as Xml | undefined;
    const code = text(failure?.Code);
    if (!code) {
      const error = new OffsiteError(`${action}: HTTP ${response.status} from ${this.endpoint.host}`);
      throw response.status >= 500 ? new TransientError(error) : error;
    }
    const error = importExportError(code, text(failure?.Message), action);
    throw response.status >= 500 || code === 'Throttling' ? new TransientError(error) : error;
  }
}

/** A failure worth one more try for a read-only call; `final` is what the operator sees if it persists. */
class TransientError extends Error {
  constructor(readonly final: OffsiteError) {
    super(final.message);
  }
}

function parseXml(body: string): Xml | undefined {
  try {
    return xml.parse(body) as Xml;
  } catch {
    return undefined;
  }
}

/** Element text, trimmed; SIGNATURE contents and manifests keep their exact bytes. */
function text(value: unknown, exact = false): string | undefined {
  if (typeof value === 'string') {
    const out = exact ? value : value.trim();
    return out.trim() === '' ? undefined : out;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

const EXACT = new Set(['SignatureFileContents', 'CurrentManifest']);

function strings<K extends string>(node: Xml, keys: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = text(node[key], EXACT.has(key));
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function members(list: unknown): Xml[] {
  const items = (list as Xml | undefined)?.member;
  return Array.isArray(items) ? (items.filter((m) => typeof m === 'object' && m !== null) as Xml[]) : [];
}

function artifacts(node: Xml): Artifact[] {
  return members(node.ArtifactList).map((m) => ({ Description: text(m.Description) ?? '', URL: text(m.URL) ?? '' }));
}
