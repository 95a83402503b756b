import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { InterruptedError, OffsiteError, UsageError } from '../errors.js';
import { s3Endpoint } from './endpoint.js';
import { awsError } from './errors.js';

export interface S3Context {
  region: string;
  profile?: string;
  /** AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, when set. */
  endpoint?: string;
  /** The endpoint is not AWS (moto, MinIO, …): path-style addressing and checksums only when required. */
  nonAws: boolean;
}

/** Region from --region, AWS_REGION, AWS_DEFAULT_REGION or the profile; the SDK finds credentials and the endpoint. */
export async function resolveS3Context(options: { region?: string; profile?: string }, env = process.env): Promise<S3Context> {
  const profile = options.profile ?? env.AWS_PROFILE;
  let region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    const probe = new S3Client(profile ? { profile } : {});
    region = await probe.config.region().catch(() => undefined);
    probe.destroy();
  }
  if (!region) throw new UsageError('no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile');
  return { region, ...(profile ? { profile } : {}), ...s3Endpoint(env) };
}

export interface S3Clients {
  /** Listing, HEAD, copy, delete: the SDK retries these itself. */
  control: S3Client;
  /** Uploads with paced stream bodies: one attempt per call, our own retry loop makes a fresh body each time. */
  data: S3Client;
  destroy(): void;
}

const silentLogger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export function s3Clients(context: S3Context): S3Clients {
  const base: S3ClientConfig = {
    region: context.region,
    ...(context.profile ? { profile: context.profile } : {}),
    followRegionRedirects: true,
    // Idle sockets fail (a stalled server), long paced uploads do not: no total-request timer.
    requestHandler: { connectionTimeout: 15_000, socketTimeout: 120_000 },
    // Without a logger of its own the SDK writes some failures to the console (a failed streaming upload); ours
    // reach the operator as typed errors instead.
    logger: silentLogger,
    ...(context.nonAws
      ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const }
      : {}),
  };
  const control = new S3Client({ ...base, maxAttempts: 5 });
  const data = new S3Client({ ...base, maxAttempts: 1 });
  return {
    control,
    data,
    destroy() {
      control.destroy();
      data.destroy();
    },
  };
}

const NETWORK = ['ENOTFOUND', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'TimeoutError'];

/** One operator-readable line for an S3 failure; `action` says what we were doing ("listing s3://b/p/"). */
export function s3Error(error: unknown, action: string): OffsiteError {
  if (error instanceof OffsiteError) return error;
  const e = error as { name?: string; Code?: string; code?: string; message?: string };
  const name = e?.Code ?? e?.name ?? '';
  if (name === 'AbortError') return new InterruptedError();
  if (name === 'NoSuchBucket') return new UsageError(`${action}: the bucket does not exist (NoSuchBucket)`);
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') return new UsageError(`${action}: AWS rejected the credentials (${name})`);
  if (NETWORK.includes(e?.code ?? '') || NETWORK.includes(name)) {
    return new OffsiteError(`${action}: cannot reach the S3 endpoint (${e?.code ?? name})`);
  }
  return awsError(error, action);
}

/** Runs an S3 call, converting its failure. */
export async function s3Call<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw s3Error(error, action);
  }
}
