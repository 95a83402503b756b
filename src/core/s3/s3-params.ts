import type { ChecksumAlgorithm } from '../checksums/algorithms.js';
import type { ServerSideEncryption } from './plan.js';

/** The request field that carries a precomputed checksum of the algorithm. */
export function checksumField(algorithm: ChecksumAlgorithm): 'ChecksumCRC64NVME' | 'ChecksumCRC32' {
  return algorithm === 'CRC64NVME' ? 'ChecksumCRC64NVME' : 'ChecksumCRC32';
}

export function checksumParams(algorithm: ChecksumAlgorithm, value: string): { ChecksumCRC64NVME?: string; ChecksumCRC32?: string } {
  return { [checksumField(algorithm)]: value };
}

/** SSE-S3 or SSE-KMS request parameters; none means the bucket's default encryption applies. */
export function sseParams(sse: ServerSideEncryption | undefined): { ServerSideEncryption?: 'AES256' | 'aws:kms'; SSEKMSKeyId?: string } {
  if (!sse) return {};
  if (sse.kind === 'AES256') return { ServerSideEncryption: 'AES256' };
  return { ServerSideEncryption: 'aws:kms', ...(sse.keyId ? { SSEKMSKeyId: sse.keyId } : {}) };
}

/** S3 allows 10,000 parts: a file too large for the chosen part size gets bigger parts (whole MiB). */
export function partSizeFor(size: number, wanted: number): number {
  const MiB = 1024 * 1024;
  const minimum = Math.ceil(size / 10_000 / MiB) * MiB;
  return Math.max(wanted, minimum);
}
