import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { formatBytes } from '../../util/format.js';
import { DIGEST_BYTES, S3_CHECKSUMS, type Algorithm, type S3Checksum } from '../checksums/algorithms.js';
import { compositeChecksum, multipartEtag } from '../checksums/composite.js';
import type { HashRequest, HashResult } from '../checksums/multi-digest.js';

/** What HeadObject (ChecksumMode ENABLED) says about an object, as verification needs it. */
export interface RemoteInfo {
  key: string;
  size: number;
  /** Without quotes. */
  etag: string;
  checksum?: { algorithm: S3Checksum; value: string; type: 'FULL_OBJECT' | 'COMPOSITE' };
  metadata: Record<string, string>;
  /** AES256, aws:kms, aws:kms:dsse. */
  sse?: string;
  /** Encrypted with a customer-provided key (SSE-C). */
  sseCustomer: boolean;
  /** offsite's client-side encryption (gpg, a command): the object holds ciphertext. */
  clientEncryption?: string;
}

const CHECKSUM_FIELD: Record<S3Checksum, keyof HeadObjectCommandOutput> = {
  CRC64NVME: 'ChecksumCRC64NVME',
  CRC32: 'ChecksumCRC32',
  CRC32C: 'ChecksumCRC32C',
  SHA256: 'ChecksumSHA256',
  SHA1: 'ChecksumSHA1',
};

export function remoteInfo(key: string, head: HeadObjectCommandOutput): RemoteInfo {
  const etag = (head.ETag ?? '').replace(/"/g, '');
  const multipart = /-\d+$/.test(etag);
  let checksum: RemoteInfo['checksum'];
  for (const algorithm of S3_CHECKSUMS) {
    const raw = head[CHECKSUM_FIELD[algorithm]];
    if (typeof raw !== 'string' || raw === '') continue;
    const suffixed = /^(.*)-(\d+)$/.exec(raw);
    const value = suffixed ? suffixed[1]! : raw;
    // Real S3 always names the type; without it, a part-count suffix or a multipart object means per-part checksums.
    const type =
      head.ChecksumType === 'FULL_OBJECT' || head.ChecksumType === 'COMPOSITE'
        ? head.ChecksumType
        : suffixed || (multipart && algorithm !== 'CRC64NVME')
          ? 'COMPOSITE'
          : 'FULL_OBJECT';
    checksum = { algorithm, value, type };
    break;
  }
  const encryption = head.Metadata?.['offsite-encryption'];
  return {
    key,
    size: head.ContentLength ?? 0,
    etag,
    ...(checksum ? { checksum } : {}),
    metadata: head.Metadata ?? {},
    ...(head.ServerSideEncryption ? { sse: head.ServerSideEncryption } : {}),
    sseCustomer: Boolean(head.SSECustomerAlgorithm),
    ...(encryption && encryption !== 'none' ? { clientEncryption: encryption } : {}),
  };
}

/** The number of parts a multipart ETag names; 1 for a single-part object. */
export function etagParts(etag: string): number {
  const match = /-(\d+)$/.exec(etag);
  return match ? Number(match[1]) : 1;
}

/** ETags are MD5s (of the data, or of the parts' MD5s) only without SSE-KMS and SSE-C. */
function etagIsMd5Based(remote: RemoteInfo): boolean {
  return !remote.sseCustomer && !(remote.sse ?? '').startsWith('aws:kms') && /^[0-9a-f]{32}(-\d+)?$/.test(remote.etag);
}

function wellFormed(algorithm: S3Checksum, value: string): boolean {
  return /^[A-Za-z0-9+/]+=*$/.test(value) && Buffer.from(value, 'base64').length === DIGEST_BYTES[algorithm];
}

export type Evidence =
  | { kind: 'checksum'; algorithm: S3Checksum; value: string }
  | { kind: 'meta-sha256'; value: string }
  | { kind: 'etag-md5'; value: string }
  | { kind: 'composite'; algorithm: S3Checksum; value: string; parts: number }
  | { kind: 'multipart-etag'; value: string; parts: number };

export interface EvidencePlan {
  /** S3's own evidence first, ours last; every item is compared. Part-based items need the part sizes first. */
  items: Evidence[];
  /** The object holds offsite's ciphertext: the size and S3's checksums describe other bytes. */
  ciphertext: boolean;
  /** Evidence S3 offered that cannot be used, and why (for the verbose log). */
  notes: string[];
}

/**
 * Everything S3 keeps that can vouch for the content: first what S3 computed itself (a full-object checksum, a
 * composite checksum checked part by part, the ETag as MD5 of a single part or recomputed from the part layout),
 * then offsite's SHA-256 metadata. Every item is checked; ours is an additional check, never a substitute, because
 * whoever rewrites an object can copy the metadata along with wrong bytes.
 */
export function planEvidence(remote: RemoteInfo): EvidencePlan {
  const items: Evidence[] = [];
  const notes: string[] = [];
  const sha = remote.metadata.sha256;
  const shaOk = typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha);
  if (sha !== undefined && !shaOk) notes.push('x-amz-meta-sha256 is not a SHA-256 in hex: ignored');
  if (remote.clientEncryption) {
    if (shaOk) items.push({ kind: 'meta-sha256', value: sha });
    notes.push(`the object holds ${remote.clientEncryption} ciphertext: only the plaintext SHA-256 in its metadata relates to this file`);
    return { items, ciphertext: true, notes };
  }
  const { checksum } = remote;
  const parts = etagParts(remote.etag);
  if (checksum && !wellFormed(checksum.algorithm, checksum.value)) {
    notes.push(`the ${checksum.algorithm} checksum S3 reports (${checksum.value}) is not ${DIGEST_BYTES[checksum.algorithm]} bytes: ignored`);
  } else if (checksum?.type === 'FULL_OBJECT') {
    items.push({ kind: 'checksum', algorithm: checksum.algorithm, value: checksum.value });
  } else if (checksum?.type === 'COMPOSITE' && parts > 1) {
    items.push({ kind: 'composite', algorithm: checksum.algorithm, value: checksum.value, parts });
  }
  const md5Based = etagIsMd5Based(remote);
  if (md5Based && parts === 1) items.push({ kind: 'etag-md5', value: remote.etag });
  else if (md5Based) items.push({ kind: 'multipart-etag', value: remote.etag, parts });
  else notes.push(`the ETag is not an MD5 (${remote.sseCustomer ? 'SSE-C' : remote.sse ?? 'not hex'}): not used`);
  if (shaOk) items.push({ kind: 'meta-sha256', value: sha });
  return { items, ciphertext: false, notes };
}

export function needsPartSizes(plan: EvidencePlan): boolean {
  return plan.items.some((item) => item.kind === 'composite' || item.kind === 'multipart-etag');
}

/** One read of the local file computes everything the plan compares (and SHA-256 for a download). */
export function hashRequest(plan: EvidencePlan, partSizes: number[] | undefined, download: boolean): HashRequest {
  const whole = new Set<Algorithm>();
  const perPart = new Set<Algorithm>();
  for (const item of plan.items) {
    if (item.kind === 'checksum') whole.add(item.algorithm);
    else if (item.kind === 'meta-sha256') whole.add('SHA256');
    else if (item.kind === 'etag-md5') whole.add('MD5');
    else if (item.kind === 'composite') perPart.add(item.algorithm);
    else perPart.add('MD5');
  }
  if (download) whole.add('SHA256');
  return { whole: [...whole], ...(perPart.size > 0 && partSizes ? { parts: { sizes: partSizes, algorithms: [...perPart] } } : {}) };
}

export function describeEvidence(item: Evidence, partSizes?: number[]): string {
  switch (item.kind) {
    case 'checksum':
      return `${item.algorithm} full-object checksum`;
    case 'meta-sha256':
      return 'x-amz-meta-sha256';
    case 'etag-md5':
      return 'ETag (MD5, single part)';
    case 'composite':
      return `${item.algorithm} composite checksum (${describeParts(partSizes, item.parts)})`;
    case 'multipart-etag':
      return `multipart ETag (${describeParts(partSizes, item.parts)})`;
  }
}

function describeParts(sizes: number[] | undefined, count: number): string {
  if (!sizes) return `${count} parts`;
  const distinct = [...new Set(sizes.slice(0, -1))];
  if (distinct.length <= 1) return `${count} parts of ${formatBytes(distinct[0] ?? sizes[0] ?? 0)}`;
  return `${count} parts: ${sizes.map((s) => formatBytes(s)).join(', ')}`;
}

/** The value S3 would show for the local bytes, given what was hashed; undefined when the hash lacks it. */
export function localValue(item: Evidence, hashed: HashResult): string | undefined {
  switch (item.kind) {
    case 'checksum':
      return hashed.whole[item.algorithm]?.toString('base64');
    case 'meta-sha256':
      return hashed.whole.SHA256?.toString('hex');
    case 'etag-md5':
      return hashed.whole.MD5?.toString('hex');
    case 'composite': {
      const parts = hashed.parts[item.algorithm];
      return parts ? compositeChecksum(item.algorithm, parts) : undefined;
    }
    case 'multipart-etag': {
      const parts = hashed.parts.MD5;
      return parts ? multipartEtag(parts) : undefined;
    }
  }
}

/** Part sizes for an object of `size` bytes in `count` parts of `partSize` (all but the last); undefined if impossible. */
export function uniformParts(size: number, count: number, partSize: number): number[] | undefined {
  if (count < 1 || partSize < 1) return undefined;
  const last = size - (count - 1) * partSize;
  if (last < 1 || last > partSize) return count === 1 && size === 0 ? [0] : undefined;
  return [...Array(count - 1).fill(partSize), last];
}
