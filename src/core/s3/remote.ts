import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3Call, s3Error } from '../../aws/s3.js';
import { escapeName } from '../../util/escape-name.js';
import { OffsiteError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { ChecksumAlgorithm } from '../checksums/algorithms.js';
import type { Digests } from '../checksums/content.js';
import type { EncryptionPlan } from './plan.js';

/** What HeadObject (with ChecksumMode ENABLED) tells us about a stored object. */
export interface RemoteObject {
  key: string;
  size: number;
  /** Without quotes. */
  etag: string;
  checksum?: { algorithm: string; value: string; type?: string };
  metadata: Record<string, string>;
  sse?: string;
  storageClass?: string;
}

const CHECKSUM_FIELDS = [
  ['CRC64NVME', 'ChecksumCRC64NVME'],
  ['CRC32', 'ChecksumCRC32'],
  ['CRC32C', 'ChecksumCRC32C'],
  ['SHA256', 'ChecksumSHA256'],
  ['SHA1', 'ChecksumSHA1'],
] as const;

export function remoteFromHead(key: string, head: HeadObjectCommandOutput): RemoteObject {
  const found = CHECKSUM_FIELDS.find(([, field]) => head[field]);
  return {
    key,
    size: head.ContentLength ?? 0,
    etag: (head.ETag ?? '').replace(/"/g, ''),
    ...(found ? { checksum: { algorithm: found[0], value: head[found[1]]!, ...(head.ChecksumType ? { type: head.ChecksumType } : {}) } } : {}),
    metadata: head.Metadata ?? {},
    ...(head.ServerSideEncryption ? { sse: head.ServerSideEncryption } : {}),
    ...(head.StorageClass ? { storageClass: head.StorageClass } : {}),
  };
}

/** HeadObject with checksums; undefined when there is no such object. */
export async function headObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<RemoteObject | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), signal ? { abortSignal: signal } : {});
    return remoteFromHead(key, head);
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404) return undefined;
    throw error;
  }
}

export async function checkedHead(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<RemoteObject | undefined> {
  return s3Call(`reading s3://${bucket}/${escapeName(key)}`, () => headObject(s3, bucket, key, signal));
}

/** What a listing says about an object: enough to tell it is the one we proved, without a HEAD. */
export interface ListedObject {
  size: number;
  /** Without quotes. */
  etag: string;
}

/**
 * Every key below a prefix (ListObjectsV2, all pages, 1,000 keys a request). Keys come URL-encoded
 * (EncodingType=url): a key with a control character cannot travel in XML otherwise.
 */
export async function listObjects(s3: S3Client, bucket: string, prefix: string, signal?: AbortSignal): Promise<Map<string, ListedObject>> {
  const found = new Map<string, ListedObject>();
  let token: string | undefined;
  do {
    const page = await s3Call(`listing s3://${bucket}/${prefix}`, () =>
      s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, EncodingType: 'url', ...(token ? { ContinuationToken: token } : {}) }),
        signal ? { abortSignal: signal } : {},
      ),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) found.set(decodeListedKey(object.Key), { size: object.Size ?? 0, etag: (object.ETag ?? '').replace(/"/g, '') });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** S3 encodes a space as '+' (and '+' as %2B); moto as %20: both decode the same way. */
export function decodeListedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** What an object of ours must look like: the bytes we sent (size, checksum, MD5) and what they stand for. */
export interface ExpectedObject {
  /** Local path, for messages in Cedar's wording. */
  path: string;
  size: number;
  checksum: string;
  /** MD5 of the bytes; compared with a single-part, non-KMS ETag. Unknown for objects we only recorded. */
  md5?: string;
  /** SHA-256 of the plaintext: x-amz-meta-sha256. */
  sha256: string;
  encryption: EncryptionPlan['kind'];
}

/**
 * S3 defines the ETag as the MD5 only for objects written in one piece; an object below 5 MiB (the smallest part) can
 * never have been written in parts, whatever the settings of the run that wrote or copied it.
 */
export const md5IfSinglePart = (size: number, md5: string): { md5?: string } => (size < 5 * 1024 * 1024 ? { md5 } : {});

/** What a stored object must match for a local file we did not send again (it was already there). */
export function expectedFromStored(path: string, plaintext: Digests, remote: RemoteObject, encryption: EncryptionPlan['kind'], algorithm: ChecksumAlgorithm): ExpectedObject | undefined {
  if (encryption === 'none') {
    return { path, size: plaintext.size, checksum: plaintext.checksum, ...md5IfSinglePart(plaintext.size, plaintext.md5), sha256: plaintext.sha256, encryption };
  }
  // Encrypted bytes differ on every run, so the object is held to what was recorded when it was sent.
  const recorded = /^([A-Z0-9]+):(.+)$/.exec(remote.metadata['ciphertext-checksum'] ?? '');
  const size = Number(remote.metadata['ciphertext-size']);
  if (!recorded || recorded[1] !== algorithm || !Number.isFinite(size)) return undefined;
  return { path, size, checksum: recorded[2]!, sha256: plaintext.sha256, encryption };
}

/**
 * The first way the object differs from what we expect, in Cedar's words where Cedar had them; undefined = it matches.
 * Size, full-object checksum (S3's own, read back with ChecksumMode), our SHA-256 metadata and the encryption mode;
 * the ETag only where S3 defines it as the MD5 (single part, not SSE-KMS/SSE-C).
 */
export function objectDifference(expected: ExpectedObject, remote: RemoteObject | undefined, algorithm: ChecksumAlgorithm): string | undefined {
  if (!remote) return `File was apparently not uploaded: [${expected.path}]`;
  if (remote.size !== expected.size) return `File size differs [${expected.path}], expected ${expected.size} bytes but got ${remote.size} bytes`;
  if (!remote.checksum) return `No checksum stored for [${expected.path}] (s3 key ${remote.key})`;
  if (remote.checksum.algorithm !== algorithm) return `Checksum differs [${expected.path}]: stored as ${remote.checksum.algorithm}, expected ${algorithm}`;
  if (remote.checksum.type && remote.checksum.type !== 'FULL_OBJECT') return `Checksum of [${expected.path}] is ${remote.checksum.type}, not a full-object checksum`;
  if (remote.checksum.value !== expected.checksum) {
    return `Checksum differs [${expected.path}], expected ${algorithm} ${expected.checksum} but got ${remote.checksum.value}`;
  }
  if (remote.metadata.sha256 !== expected.sha256) return `SHA-256 differs [${expected.path}], expected ${expected.sha256} but the object records ${remote.metadata.sha256 ?? 'none'}`;
  const encryption = remote.metadata['offsite-encryption'] ?? 'none';
  if (encryption !== expected.encryption) return `Encryption differs [${expected.path}], expected ${expected.encryption} but the object is ${encryption}`;
  const etagIsMd5 = !remote.etag.includes('-') && !(remote.sse ?? '').startsWith('aws:kms');
  if (expected.md5 && etagIsMd5 && remote.etag !== expected.md5) return `ETag differs [${expected.path}], expected MD5 ${expected.md5} but got ${remote.etag}`;
  return undefined;
}

/**
 * The first way S3's answer to a write (PUT, CompleteMultipartUpload, CopyObject) differs from what we sent;
 * undefined = it matches. The ETag counts only where S3 defines it as the MD5 (single part, not SSE-KMS).
 */
export function answerDifference(expected: ExpectedObject, answer: { etag: string; checksum: string; sse?: string }, algorithm: ChecksumAlgorithm): string | undefined {
  if (answer.checksum !== expected.checksum) return `Checksum differs [${expected.path}], expected ${algorithm} ${expected.checksum} but S3 computed ${answer.checksum}`;
  const etagIsMd5 = !answer.etag.includes('-') && !(answer.sse ?? '').startsWith('aws:kms');
  if (expected.md5 && etagIsMd5 && answer.etag !== expected.md5) return `ETag differs [${expected.path}], expected MD5 ${expected.md5} but got ${answer.etag}`;
  return undefined;
}

/** S3's answer to a write: its ETag and, when it reports one, the full-object checksum it computed. */
export type WriteAnswer = { ETag?: string | undefined; ChecksumCRC64NVME?: string | undefined; ChecksumCRC32?: string | undefined };

/**
 * Proves a write from S3's answer (S3 already refused bytes that did not match the checksum we sent; the answer must
 * name the same one): returns the object's ETag. An endpoint that answers without the checksum gets a HEAD instead.
 */
export async function proveWrite(
  expected: ExpectedObject,
  answer: WriteAnswer,
  ctx: { algorithm: ChecksumAlgorithm; sse?: string | undefined; head: () => Promise<RemoteObject | undefined> },
): Promise<string> {
  const etag = (answer.ETag ?? '').replace(/"/g, '');
  const checksum = answer[ctx.algorithm === 'CRC64NVME' ? 'ChecksumCRC64NVME' : 'ChecksumCRC32'];
  let difference: string | undefined;
  let proved = etag;
  if (checksum === undefined || etag === '') {
    const remote = await ctx.head();
    difference = objectDifference(expected, remote, ctx.algorithm);
    proved = remote?.etag ?? '';
  } else {
    difference = answerDifference(expected, { etag, checksum, ...(ctx.sse ? { sse: ctx.sse } : {}) }, ctx.algorithm);
  }
  if (difference) throw new OffsiteError(`verification of the upload failed: ${difference}`, ExitCode.differences);
  return proved;
}

/**
 * Deletes keys in batches of 1,000 (DeleteObjects). A batch S3 cannot take (a key with a control character does
 * not fit in its XML body) is deleted one key at a time (DeleteObject carries the key in the URL); a key S3 still
 * refuses fails the run.
 */
export async function deleteKeys(s3: S3Client, bucket: string, keys: string[], signal?: AbortSignal): Promise<void> {
  const options = signal ? { abortSignal: signal } : {};
  for (let start = 0; start < keys.length; start += 1000) {
    const batch = keys.slice(start, start + 1000);
    let left: string[];
    try {
      const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), options);
      left = (result.Errors ?? []).map((e) => e.Key).filter((key): key is string => key !== undefined);
    } catch (error) {
      if (signal?.aborted) throw s3Error(error, `removing ${batch.length} objects from s3://${bucket}`);
      left = batch;
    }
    for (const key of left) {
      await s3Call(`removing s3://${bucket}/${escapeName(key)}`, () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), options));
    }
  }
}
