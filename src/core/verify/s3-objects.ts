import { GetObjectAttributesCommand, GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { s3Error } from '../../aws/s3.js';
import { OffsiteError } from '../../errors.js';
import { uniformParts } from './evidence.js';

/** A failure that concerns one object only (access denied, SSE-C): the object is unreadable, the run goes on. */
export class ObjectUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObjectUnreadable';
  }
}

const PER_OBJECT = new Set(['AccessDenied', 'Forbidden', 'InvalidRequest', 'InvalidObjectState', 'BadRequest']);

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function objectFailure(error: unknown, action: string): Error {
  const name = (error as { name?: string; Code?: string })?.Code ?? (error as { name?: string })?.name ?? '';
  const status = statusOf(error);
  if (PER_OBJECT.has(name) || status === 403 || status === 400) {
    const why = status === 400 ? 'S3 refused to read it (encrypted with a customer key, SSE-C?)' : name || `HTTP ${status}`;
    return new ObjectUnreadable(why);
  }
  return s3Error(error, action);
}

/** HeadObject with checksums; undefined when there is no such object. */
export async function headWithChecksums(s3: S3Client, bucket: string, key: string, signal?: AbortSignal, partNumber?: number): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...(partNumber ? { PartNumber: partNumber } : {}) }),
      signal ? { abortSignal: signal } : {},
    );
  } catch (error) {
    const name = (error as { name?: string })?.name;
    if (name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404) return undefined;
    throw objectFailure(error, `reading s3://${bucket}/${key}`);
  }
}

/** Per run: whether this endpoint answers GetObjectAttributes (moto 5.2's answer does not parse). */
export interface PartSizeState {
  attributes: 'unknown' | 'works' | 'unsupported';
}

export interface PartLayout {
  sizes: number[];
  /** False when the sizes are inferred from the first part's (every part but the last the same size). */
  exact: boolean;
  source: string;
}

/**
 * The part sizes of a multipart object, which S3 does not put in the ETag: GetObjectAttributes' ObjectParts
 * where S3 lists them (objects uploaded with checksums), else HeadObject of part 1 — whose size all parts but the
 * last usually share. `exactPartSizes` asks for every part when that guess does not hold.
 */
export async function partLayout(s3: S3Client, bucket: string, key: string, size: number, count: number, state: PartSizeState, signal?: AbortSignal): Promise<PartLayout | undefined> {
  if (count === 1) return { sizes: [size], exact: true, source: 'single part' };
  if (state.attributes !== 'unsupported') {
    const listed = await listedPartSizes(s3, bucket, key, count, state, signal);
    if (listed) return { sizes: listed, exact: true, source: 'GetObjectAttributes' };
  }
  const first = await headWithChecksums(s3, bucket, key, signal, 1);
  const partSize = first?.ContentLength;
  if (!first || partSize === undefined) return undefined;
  if (first.PartsCount !== undefined && first.PartsCount !== count) return undefined;
  const sizes = uniformParts(size, count, partSize);
  return sizes ? { sizes, exact: false, source: 'HeadObject part 1' } : exactPartSizes(s3, bucket, key, count, 8, signal);
}

async function listedPartSizes(s3: S3Client, bucket: string, key: string, count: number, state: PartSizeState, signal?: AbortSignal): Promise<number[] | undefined> {
  const sizes: number[] = [];
  let marker: string | undefined;
  try {
    for (;;) {
      const page = await s3.send(
        new GetObjectAttributesCommand({ Bucket: bucket, Key: key, ObjectAttributes: ['ObjectParts'], MaxParts: 1000, ...(marker ? { PartNumberMarker: marker } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      state.attributes = 'works';
      const parts = page.ObjectParts?.Parts ?? [];
      if (parts.length === 0 || parts.some((p) => p.Size === undefined)) return undefined;
      sizes.push(...parts.map((p) => p.Size!));
      if (!page.ObjectParts?.IsTruncated) break;
      marker = page.ObjectParts.NextPartNumberMarker;
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    // An endpoint that cannot answer it (NotImplemented, an unparsable reply) is asked no more this run.
    if (state.attributes === 'unknown') state.attributes = 'unsupported';
    return undefined;
  }
  return sizes.length === count ? sizes : undefined;
}

/** Every part's size, one HeadObject per part (a few in flight). */
export async function exactPartSizes(s3: S3Client, bucket: string, key: string, count: number, forks: number, signal?: AbortSignal): Promise<PartLayout | undefined> {
  if (count > 10_000) return undefined;
  const limit = pLimit(Math.max(1, forks));
  const sizes = await Promise.all(
    Array.from({ length: count }, (_, i) => limit(async () => (await headWithChecksums(s3, bucket, key, signal, i + 1))?.ContentLength)),
  );
  if (sizes.some((s) => s === undefined)) return undefined;
  return { sizes: sizes as number[], exact: true, source: `HeadObject of all ${count} parts` };
}

/** Streams the object and returns its size and SHA-256: the end-to-end check that needs no stored checksum. */
export async function downloadDigest(s3: S3Client, bucket: string, key: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<{ size: number; sha256: string }> {
  let response;
  try {
    response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
  } catch (error) {
    const failure = objectFailure(error, `downloading s3://${bucket}/${key}`);
    if (statusOf(error) === 404) throw new ObjectUnreadable('it disappeared during the check');
    throw failure;
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of response.Body as Readable) {
      const data = chunk as Buffer;
      hash.update(data);
      size += data.length;
      onBytes(data.length);
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new OffsiteError(`downloading s3://${bucket}/${key}: ${(error as Error).message}`);
  }
  return { size, sha256: hash.digest('hex') };
}
