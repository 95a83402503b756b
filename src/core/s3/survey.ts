import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { s3Error } from '../../aws/s3.js';
import { isTreeManifest } from '../restore/s3-tree-manifest.js';
import { OffsiteError, UsageError } from '../../errors.js';
import type { Digests } from '../checksums/content.js';
import { asDescriptor, type Leftover } from './leftovers.js';
import type { LocalFile } from './local-files.js';
import { isIndicator } from './local-files.js';
import { listIncompleteUploads, listStoredParts, type IncompleteUpload, type StoredPart } from './multipart-api.js';
import type { S3StorePlan } from './plan.js';
import { stillProved, type ProvedEntry, type ProvedIndex } from './proved-index.js';
import { checkedHead, expectedFromStored, listObjects, objectDifference, type ListedObject, type RemoteObject } from './remote.js';
import { STAGING_ROOT, stagingKey, stagingPrefix } from './session.js';
import { escapeName } from '../../util/escape-name.js';

/** What to do with one local file. */
export interface FileDecision {
  file: LocalFile;
  plaintext: Digests;
  key: string;
  stagingKey: string;
  /**
   * unchanged: the object is the one proved before (by the index and the listing, or by a HEAD);
   * staged: an interrupted run already staged and proved it (copied into place);
   * new: nothing at the key: sent straight to it (S3 checks the checksums before the object exists);
   * replace: another object is at the key: sent to staging, proved, then copied over it.
   */
  action: 'unchanged' | 'staged' | 'new' | 'replace';
  /** unchanged and staged: what S3 holds and its ETag. */
  proved?: { sent: Digests; etag: string };
  resume?: { uploadId: string; partSize: number; parts: Map<number, StoredPart> };
}

/** Where an upload of this decision goes: the final key when nothing was there, else the staging key. */
export const uploadKey = (decision: FileDecision): string => (decision.action === 'new' ? decision.key : decision.stagingKey);

export const isUpload = (decision: FileDecision): boolean => decision.action === 'new' || decision.action === 'replace';

/** The destination as one listing shows it, and which files the index still vouches for. */
export interface Listing {
  objects: Map<string, ListedObject>;
  /** Files whose local size and mtime and whose object's size and ETag are those the last run proved. */
  known: Map<string, ProvedEntry>;
}

export interface Survey {
  decisions: FileDecision[];
  /** Objects under the destination that the source no longer has (removed only in mirror mode). */
  stale: string[];
  /** Incomplete uploads under this session's staging prefix that cannot be continued. */
  abandoned: IncompleteUpload[];
}

/** HeadBucket first: a missing bucket or a denial is one clear line before anything else is tried. */
export async function checkBucket(s3: S3Client, bucket: string, signal: AbortSignal): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const name = (error as { name?: string }).name;
    if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') throw new UsageError(`s3://${bucket}: no such bucket`);
    if (status === 403) throw new OffsiteError(`s3://${bucket}: access denied (check the bucket name and that your IAM policy allows s3:ListBucket)`);
    throw s3Error(error, `checking s3://${bucket}`);
  }
}

/** One listing of the destination (1 request per 1,000 keys), matched against the index of what was proved. */
export async function listDestination(plan: S3StorePlan, files: LocalFile[], index: ProvedIndex, s3: S3Client, signal: AbortSignal): Promise<Listing> {
  const { bucket, prefix } = plan.destination;
  const objects = await listObjects(s3, bucket, prefix, signal);
  const settings = { algorithm: plan.upload.checksumAlgorithm, encryption: plan.encryption.kind };
  const known = new Map<string, ProvedEntry>();
  for (const file of files) {
    const entry = index.get(file.rel);
    if (stillProved(entry, file, objects.get(`${prefix}${file.rel}`), settings)) known.set(file.rel, entry);
  }
  return { objects, known };
}

/**
 * Decides every file: those the index vouches for are unchanged without a request; a hashed file whose key is free
 * is new; one whose key holds an object is unchanged only when a HEAD shows the same SHA-256 metadata, encryption
 * mode and S3 checksum (size alone never does), else it replaces it. What interrupted runs left (staged objects,
 * incomplete uploads) is looked at only when the ledgers say there is something.
 */
export async function surveyDestination(
  plan: S3StorePlan,
  listing: Listing,
  files: Array<{ file: LocalFile; plaintext?: Digests }>,
  context: { s3: S3Client; session: string; leftovers: Leftover[]; concurrency: number; signal: AbortSignal },
): Promise<Survey> {
  const { s3, session, signal } = context;
  const { bucket, prefix } = plan.destination;
  const algorithm = plan.upload.checksumAlgorithm;
  const encryption = plan.encryption.kind;
  const leftBehind = context.leftovers.length > 0;
  const [stagedObjects, incomplete] = leftBehind
    ? await Promise.all([listObjects(s3, bucket, stagingPrefix(session), signal), listIncompleteUploads(s3, bucket, stagingPrefix(session), signal)])
    : [new Map<string, ListedObject>(), []];
  const limit = pLimit(context.concurrency);
  const matches = async (key: string, path: string, plaintext: Digests): Promise<RemoteObject | undefined> => {
    const remote = await checkedHead(s3, bucket, key, signal);
    const expected = remote && expectedFromStored(path, plaintext, remote, encryption, algorithm);
    return expected && !objectDifference(expected, remote, algorithm) ? remote : undefined;
  };
  const provedBy = (remote: RemoteObject, plaintext: Digests) => ({ sent: sentOf(remote, plaintext), etag: remote.etag });

  const decisions = await Promise.all(
    files.map(({ file, plaintext }) =>
      limit(async (): Promise<FileDecision> => {
        const key = `${prefix}${file.rel}`;
        const staging = stagingKey(session, key);
        const known = listing.known.get(file.rel);
        if (known) return { file, plaintext: known.plaintext, key, stagingKey: staging, action: 'unchanged', proved: { sent: known.sent, etag: known.etag } };
        if (!plaintext) throw new Error(`${file.rel} was neither hashed nor known`);
        const base = { file, plaintext, key, stagingKey: staging };
        const listed = listing.objects.get(key);
        // Plain objects of another size cannot match: no HEAD needed.
        if (listed !== undefined && (encryption !== 'none' || listed.size === plaintext.size)) {
          const remote = await matches(key, escapeName(file.path), plaintext);
          if (remote) return { ...base, action: 'unchanged', proved: provedBy(remote, plaintext) };
        }
        if (plan.resume && stagedObjects.has(staging)) {
          const remote = await matches(staging, escapeName(file.path), plaintext);
          if (remote) return { ...base, action: 'staged', proved: provedBy(remote, plaintext) };
        }
        return { ...base, action: listed === undefined ? 'new' : 'replace' };
      }),
    ),
  );

  const localKeys = new Set(decisions.map((d) => d.key));
  const stale = [...listing.objects.keys()].filter(
    (key) => !localKeys.has(key) && !key.startsWith(STAGING_ROOT) && !(plan.skipIndicators && isIndicator(key)) && !key.endsWith('/') && !isTreeManifest(key, prefix),
  );
  const abandoned = leftBehind ? await resumable(plan, decisions, incomplete, context) : [];
  return { decisions, stale, abandoned };
}

/**
 * Interrupted uploads (to a final key or under the staging prefix): continue those whose file is unchanged (same
 * SHA-256, size, part size, going to the same key); the staged ones that cannot continue are returned to be aborted.
 * Uploads the ledgers name that are not continued are aborted with the other leftovers.
 */
async function resumable(
  plan: S3StorePlan,
  decisions: FileDecision[],
  incomplete: IncompleteUpload[],
  context: { s3: S3Client; leftovers: Leftover[]; signal: AbortSignal },
): Promise<IncompleteUpload[]> {
  const { bucket } = plan.destination;
  const byUploadKey = new Map(decisions.filter(isUpload).map((d) => [uploadKey(d), d]));
  const abandoned: IncompleteUpload[] = [];
  const uploads = new Map(incomplete.map((u) => [u.uploadId, u]));
  for (const leftover of context.leftovers) {
    const descriptor = leftover.kind === 'multipart-upload' ? asDescriptor(leftover.detail) : undefined;
    if (descriptor && !uploads.has(leftover.id)) uploads.set(leftover.id, { key: descriptor.key, uploadId: leftover.id });
  }
  const descriptors = new Map(context.leftovers.filter((l) => l.kind === 'multipart-upload').map((l) => [l.id, asDescriptor(l.detail)]));
  for (const upload of uploads.values()) {
    const decision = byUploadKey.get(upload.key);
    const descriptor = descriptors.get(upload.uploadId);
    const fits =
      plan.resume &&
      plan.encryption.kind === 'none' &&
      decision !== undefined &&
      !decision.resume &&
      descriptor !== undefined &&
      descriptor.sha256 === decision.plaintext.sha256 &&
      descriptor.size === decision.plaintext.size &&
      descriptor.algorithm === plan.upload.checksumAlgorithm &&
      descriptor.partSize >= 5 * 1024 * 1024;
    const parts = fits ? await listStoredParts(context.s3, bucket, upload.key, upload.uploadId, context.signal).catch(() => undefined) : undefined;
    if (decision && descriptor && parts) decision.resume = { uploadId: upload.uploadId, partSize: descriptor.partSize, parts };
    else if (incomplete.includes(upload)) abandoned.push(upload);
  }
  return abandoned;
}

/** The bytes an object of ours holds: the plaintext, or the ciphertext its metadata describes. */
function sentOf(remote: RemoteObject, plaintext: Digests): Digests {
  const recorded = /^[A-Z0-9]+:(.+)$/.exec(remote.metadata['ciphertext-checksum'] ?? '');
  if (!remote.metadata['offsite-encryption'] || !recorded) return plaintext;
  return { size: remote.size, sha256: remote.metadata['ciphertext-sha256'] ?? '', md5: '', checksum: recorded[1]! };
}
