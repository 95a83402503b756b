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
import type { RunLedger } from '../ledger/ledger.js';
import type { Emit } from '../phases.js';
import type { ProgressMeter } from '../progress.js';
import type { UploadSettings } from './plan.js';
import { checksumField, partSizeFor, sseParams } from './s3-params.js';

/** A verified staged object that becomes the current one at its final key. */
export interface PromoteItem {
  displayPath: string;
  stagingKey: string;
  finalKey: string;
  size: number;
  /** The checksum S3 must arrive at for the copy (passed on multipart copies, where S3 checks it). */
  checksum: string;
  metadata: Record<string, string>;
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
}

/** CopySource is "bucket/key" with the key URL-encoded segment by segment. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Server-side copies from the staging prefix to the final keys: the final object is replaced only by bytes that have
 * already been proved in staging, and S3 computes a fresh checksum of the copy (ChecksumAlgorithm), which the verify
 * phase then compares with ours. The storage class is applied here; staging copies stay STANDARD.
 */
export async function promoteAll(items: PromoteItem[], ctx: PromoteContext): Promise<void> {
  const limit = pLimit(ctx.settings.concurrency);
  await Promise.all(items.map((item) => limit(() => (item.size > ctx.settings.copyPartThreshold ? copyInParts(item, ctx) : copyWhole(item, ctx)))));
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

async function copyWhole(item: PromoteItem, ctx: PromoteContext): Promise<void> {
  await s3Call(`copying ${item.displayPath} into place`, () =>
    ctx.s3.send(
      new CopyObjectCommand({ ...destinationParams(ctx), Key: item.finalKey, CopySource: copySource(ctx.bucket, item.stagingKey), MetadataDirective: 'COPY' }),
      withSignal(ctx),
    ),
  );
  ctx.meter.add(item.size);
}

/** Objects above CopyObject's 5 GiB limit: UploadPartCopy in ranges, completed with the full-object checksum. */
async function copyInParts(item: PromoteItem, ctx: PromoteContext): Promise<void> {
  const what = `copying ${item.displayPath} into place`;
  const partSize = partSizeFor(item.size, Math.max(ctx.settings.partSize, 64 * 1024 * 1024));
  const created = await s3Call(what, () =>
    ctx.s3.send(new CreateMultipartUploadCommand({ ...destinationParams(ctx), Key: item.finalKey, ChecksumType: 'FULL_OBJECT', Metadata: item.metadata }), withSignal(ctx)),
  );
  const uploadId = created.UploadId!;
  await ctx.ledger.record({
    op: 'created',
    kind: 'multipart-upload',
    id: uploadId,
    detail: JSON.stringify({ bucket: ctx.bucket, key: item.finalKey, session: ctx.session, copyOf: item.stagingKey }),
  });
  let completed = false;
  try {
    const parts: CompletedPart[] = [];
    for (let n = 1, start = 0; start < item.size; n++, start += partSize) {
      const end = Math.min(item.size, start + partSize) - 1;
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
      ctx.meter.add(end - start + 1);
    }
    await s3Call(what, () =>
      ctx.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: ctx.bucket,
          Key: item.finalKey,
          UploadId: uploadId,
          ChecksumType: 'FULL_OBJECT',
          [checksumField(ctx.settings.checksumAlgorithm)]: item.checksum,
          MultipartUpload: { Parts: parts },
        }),
        withSignal(ctx),
      ),
    );
    completed = true;
  } finally {
    // A copy is not worth resuming (the staged object stays): an unfinished one is aborted at once.
    if (!completed) await ctx.s3.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: item.finalKey, UploadId: uploadId })).catch(() => undefined);
    await ctx.ledger.record({ op: 'released', kind: 'multipart-upload', id: uploadId, action: completed ? 'completed' : 'aborted' });
  }
}
