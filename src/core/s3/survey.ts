import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { s3Error } from '../../aws/s3.js';
import { isTreeManifest } from '../restore/s3-tree-manifest.js';
import { OffsiteError, UsageError } from '../errors.js';
import type { Digests } from './digests.js';
import { asDescriptor, type Leftover } from './leftovers.js';
import type { LocalFile } from './local-files.js';
import { isIndicator } from './local-files.js';
import { listIncompleteUploads, listStoredParts, type IncompleteUpload, type StoredPart } from './multipart-api.js';
import type { S3StorePlan } from './plan.js';
import { checkedHead, expectedFromStored, listObjects, objectDifference, type RemoteObject } from './remote.js';
import { STAGING_ROOT, stagingKey, stagingPrefix } from './session.js';

/** What to do with one local file. */
export interface FileDecision {
  file: LocalFile;
  plaintext: Digests;
  key: string;
  stagingKey: string;
  /** unchanged: the object matches; staged: an interrupted run already staged and proved it; upload: send it. */
  action: 'unchanged' | 'staged' | 'upload';
  /** The final object (unchanged) or the staged one (staged). */
  remote?: RemoteObject;
  resume?: { uploadId: string; partSize: number; parts: Map<number, StoredPart> };
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

/**
 * Compares the hashed source with the destination and the session's staging area. A stored object counts as
 * unchanged only when its SHA-256 metadata, encryption mode and S3 checksum all match; size alone never does.
 */
export async function surveyDestination(
  plan: S3StorePlan,
  files: Array<{ file: LocalFile; plaintext: Digests }>,
  context: { s3: S3Client; session: string; leftovers: Leftover[]; concurrency: number; signal: AbortSignal },
): Promise<Survey> {
  const { s3, session, signal } = context;
  const { bucket, prefix } = plan.destination;
  const algorithm = plan.upload.checksumAlgorithm;
  const encryption = plan.encryption.kind;
  const [finalObjects, stagedObjects, incomplete] = await Promise.all([
    listObjects(s3, bucket, prefix, signal),
    listObjects(s3, bucket, stagingPrefix(session), signal),
    listIncompleteUploads(s3, bucket, stagingPrefix(session), signal),
  ]);
  const limit = pLimit(context.concurrency);
  const matches = async (key: string, path: string, plaintext: Digests): Promise<RemoteObject | undefined> => {
    const remote = await checkedHead(s3, bucket, key, signal);
    const expected = remote && expectedFromStored(path, plaintext, remote, encryption, algorithm);
    return expected && !objectDifference(expected, remote, algorithm) ? remote : undefined;
  };

  const decisions = await Promise.all(
    files.map(({ file, plaintext }) =>
      limit(async (): Promise<FileDecision> => {
        const key = `${prefix}${file.rel}`;
        const staging = stagingKey(session, key);
        const base = { file, plaintext, key, stagingKey: staging };
        const finalSize = finalObjects.get(key);
        // Plain objects of another size cannot match: no HEAD needed.
        if (finalSize !== undefined && (encryption !== 'none' || finalSize === plaintext.size)) {
          const remote = await matches(key, file.path, plaintext);
          if (remote) return { ...base, action: 'unchanged', remote };
        }
        if (plan.resume && stagedObjects.has(staging)) {
          const remote = await matches(staging, file.path, plaintext);
          if (remote) return { ...base, action: 'staged', remote };
        }
        return { ...base, action: 'upload' };
      }),
    ),
  );

  const localKeys = new Set(decisions.map((d) => d.key));
  const stale = [...finalObjects.keys()].filter(
    (key) => !localKeys.has(key) && !key.startsWith(STAGING_ROOT) && !(plan.skipIndicators && isIndicator(key)) && !key.endsWith('/') && !isTreeManifest(key, prefix),
  );

  // Interrupted uploads: continue the ones whose file is unchanged (same SHA-256, size, part size); abort the rest.
  const descriptors = new Map(context.leftovers.filter((l) => l.kind === 'multipart-upload').map((l) => [l.id, asDescriptor(l.detail)]));
  const byStagingKey = new Map(decisions.map((d) => [d.stagingKey, d]));
  const abandoned: IncompleteUpload[] = [];
  for (const upload of incomplete) {
    const decision = byStagingKey.get(upload.key);
    const descriptor = descriptors.get(upload.uploadId);
    const resumable =
      plan.resume &&
      encryption === 'none' &&
      decision?.action === 'upload' &&
      !decision.resume &&
      descriptor !== undefined &&
      descriptor.sha256 === decision.plaintext.sha256 &&
      descriptor.size === decision.plaintext.size &&
      descriptor.algorithm === algorithm &&
      descriptor.partSize >= 5 * 1024 * 1024;
    const parts = resumable ? await listStoredParts(s3, bucket, upload.key, upload.uploadId, signal).catch(() => undefined) : undefined;
    if (decision && descriptor && parts) decision.resume = { uploadId: upload.uploadId, partSize: descriptor.partSize, parts };
    else abandoned.push(upload);
  }
  return { decisions, stale, abandoned };
}
