import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { s3Call } from '../../aws/s3.js';
import { InterruptedError } from '../../errors.js';
import type { RunLedger } from '../ledger/ledger.js';
import type { Emit } from '../phases.js';
import type { ProgressMeter } from '../progress.js';
import type { ObjectParams } from './object-params.js';
import type { UploadSettings } from './plan.js';
import { checkedHead, proveWrite, type ExpectedObject, type WriteAnswer } from './remote.js';
import { checksumField, partSizeFor, sseParams } from './s3-params.js';

/** A verified staged object that becomes the current one at its final key. */
export interface PromoteItem {
  displayPath: string;
  rel: string;
  stagingKey: string;
  finalKey: string;
  /** What the staged object holds; the copy must arrive at the same checksum (S3 computes it afresh). */
  expected: ExpectedObject;
  /** For a copy in parts, which starts a new object: the parameters of the final object. */
  params: ObjectParams;
}

export interface PromoteContext {
  s3: S3Client;
  bucket: string;
  session: string;
  settings: UploadSettings;
  ledger: RunLedger;
  emit: Emit;
  meter: ProgressMeter;
  signal: AbortSignal;
  /** Same session, encryption mode and SSE as the uploads: for the proof of each copy. */
  sse?: string | undefined;
}

/** CopySource is "bucket/key" with the key URL-encoded segment by segment. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Server-side copies from the staging prefix to the final keys: the final object is replaced only by bytes that have
 * already been proved in staging, and S3 computes a fresh checksum of the copy (ChecksumAlgorithm), held to ours
 * from its answer. The storage class is applied here; staging copies stay STANDARD. Returns each copy's ETag by rel.
 */
export async function promoteAll(items: PromoteItem[], ctx: PromoteContext): Promise<Map<string, string>> {
  const limit = pLimit(ctx.settings.concurrency);
  const etags = new Map<string, string>();
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        const answer = item.expected.size > ctx.settings.copyPartThreshold ? await copyInParts(item, ctx) : await copyWhole(item, ctx);
        const etag = await proveWrite(item.expected, answer, { algorithm: ctx.settings.checksumAlgorithm, sse: ctx.sse, head: () => checkedHead(ctx.s3, ctx.bucket, item.finalKey, ctx.signal) });
        etags.set(item.rel, etag);
        ctx.meter.add(item.expected.size);
      }),
    ),
  );
  return etags;
}

const withSignal = (ctx: PromoteContext) => ({ abortSignal: ctx.signal });

function destinationParams(ctx: PromoteContext) {
  return {
    Bucket: ctx.bucket,
    ChecksumAlgorithm: ctx.settings.checksumAlgorithm,
    ...(ctx.settings.storageClass ? { StorageClass: ctx.settings.storageClass as 'STANDARD' } : {}),
    ...sseParams(ctx.settings.sse),
  };
}

async function copyWhole(item: PromoteItem, ctx: PromoteContext): Promise<WriteAnswer> {
  const copied = await s3Call(`copying ${item.displayPath} into place`, () =>
    ctx.s3.send(
      new CopyObjectCommand({ ...destinationParams(ctx), Key: item.finalKey, CopySource: copySource(ctx.bucket, item.stagingKey), MetadataDirective: 'COPY' }),
      withSignal(ctx),
    ),
  );
  return copied.CopyObjectResult ?? {};
}

/** Objects above CopyObject's 5 GiB limit: UploadPartCopy in ranges, completed with the full-object checksum. */
async function copyInParts(item: PromoteItem, ctx: PromoteContext): Promise<WriteAnswer> {
  const what = `copying ${item.displayPath} into place`;
  const size = item.expected.size;
  const partSize = partSizeFor(size, Math.max(ctx.settings.partSize, 64 * 1024 * 1024));
  // Never cut short (see startUpload): an upload S3 made but whose id we lost would be billed and found by nobody.
  const created = await s3Call(what, () => ctx.s3.send(new CreateMultipartUploadCommand({ ...item.params, ...destinationParams(ctx), Key: item.finalKey, ChecksumType: 'FULL_OBJECT' })));
  const uploadId = created.UploadId!;
  await ctx.ledger.record({
    op: 'created',
    kind: 'multipart-upload',
    id: uploadId,
    detail: JSON.stringify({ bucket: ctx.bucket, key: item.finalKey, session: ctx.session, copyOf: item.stagingKey }),
  });
  let completed = false;
  try {
    if (ctx.signal.aborted) throw new InterruptedError();
    const parts: CompletedPart[] = [];
    for (let n = 1, start = 0; start < size; n++, start += partSize) {
      const end = Math.min(size, start + partSize) - 1;
      const copied = await s3Call(what, () =>
        ctx.s3.send(
          new UploadPartCopyCommand({
            Bucket: ctx.bucket,
            Key: item.finalKey,
            UploadId: uploadId,
            PartNumber: n,
            CopySource: copySource(ctx.bucket, item.stagingKey),
            CopySourceRange: `bytes=${start}-${end}`,
          }),
          withSignal(ctx),
        ),
      );
      const result = copied.CopyPartResult ?? {};
      const field = checksumField(ctx.settings.checksumAlgorithm);
      parts.push({ PartNumber: n, ETag: result.ETag!, ...(result[field] ? { [field]: result[field] } : {}) });
    }
    const answer = await s3Call(what, () =>
      ctx.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: ctx.bucket,
          Key: item.finalKey,
          UploadId: uploadId,
          ChecksumType: 'FULL_OBJECT',
          [checksumField(ctx.settings.checksumAlgorithm)]: item.expected.checksum,
          MultipartUpload: { Parts: parts },
        }),
        withSignal(ctx),
      ),
    );
    completed = true;
    return answer;
  } finally {
    // A copy is not worth resuming (the staged object stays): an unfinished one is aborted at once.
    if (!completed) await ctx.s3.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: item.finalKey, UploadId: uploadId })).catch(() => undefined);
    await ctx.ledger.record({ op: 'released', kind: 'multipart-upload', id: uploadId, action: completed ? 'completed' : 'aborted' });
  }
}
