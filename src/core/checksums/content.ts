import { digestOf, type ChecksumAlgorithm } from './algorithms.js';
import { MultiDigest, type HashRequest, type HashResult } from './multi-digest.js';

/** What we know about a run of bytes: enough to check S3's checksum, its ETag and our own SHA-256 metadata. */
export interface Digests {
  size: number;
  sha256: string;
  /** Hex; '' where it was not computed (bytes that go up in parts). */
  md5: string;
  /** Base64 of the big-endian value, as S3's x-amz-checksum-* headers carry it. */
  checksum: string;
}

/**
 * SHA-256, the S3 checksum and MD5 of a stored file. `md5: false` for bytes that go up in parts: their ETag is never
 * an MD5, and MD5 costs as much as SHA-256.
 */
export function contentRequest(algorithm: ChecksumAlgorithm, options: { md5?: boolean } = {}): HashRequest {
  return { whole: options.md5 === false ? ['SHA256', algorithm] : ['SHA256', 'MD5', algorithm] };
}

/** The digests of contentRequest in the forms S3 and our metadata carry them (hex SHA-256 and MD5, base64 checksum). */
export function contentDigests(hashed: HashResult, algorithm: ChecksumAlgorithm): Digests {
  const { whole } = hashed;
  return { size: hashed.size, sha256: whole.SHA256!.toString('hex'), md5: whole.MD5?.toString('hex') ?? '', checksum: whole[algorithm]!.toString('base64') };
}

/** Checksums of one buffer (tests, small files). */
export function digestBuffer(data: Uint8Array, algorithm: ChecksumAlgorithm): Digests {
  const digest = new MultiDigest(contentRequest(algorithm));
  digest.update(data);
  return contentDigests(digest.result(), algorithm);
}

export function sha256Of(data: Uint8Array): string {
  return digestOf('SHA256', data).toString('hex');
}
