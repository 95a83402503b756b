import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import type { S3Clients } from '../../aws/s3.js';
import { s3Call, s3Error } from '../../aws/s3.js';
import { InterruptedError, OffsiteError, describeError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { RunLedger } from '../ledger/ledger.js';
import type { Emit } from '../phases.js';
import type { ProgressMeter } from '../progress.js';
import { createHash } from 'node:crypto';
import { partDigest, sha256Of, type Digests } from './digests.js';
import type { UploadDescriptor } from './leftovers.js';
import type { StoredPart } from './multipart-api.js';
import { Slots, Throttle, pacedBody } from './pacing.js';
import type { EncryptionPlan, UploadSettings } from './plan.js';
import { checkedHead, objectDifference } from './remote.js';
import { withRetries } from './retry.js';
import { checksumField, checksumParams, partSizeFor, sseParams } from './s3-params.js';

/** One file on its way to its staging key. */
export interface UploadItem {
  /** The source file, for messages. */
  displayPath: string;
  rel: string;
  key: string;
  /** The bytes to send: the file itself, or its encrypted copy. */
  path: string;
  sent: Digests;
  plaintext: Digests;
  metadata: Record<string, string>;
  /** An interrupted multipart upload of the same bytes, to continue. */
  resume?: { uploadId: string; partSize: number; parts: Map<number, StoredPart> };
}

export interface UploaderContext {
  s3: S3Clients;
  bucket: string;
  session: string;
  settings: UploadSettings;
  encryption: EncryptionPlan['kind'];
  ledger: RunLedger;
  emit: Emit;
  meter: ProgressMeter;
  signal: AbortSignal;
}

export interface UploadStats {
  uploaded: number;
  uploadedBytes: number;
  resumedParts: number;
}

/**
 * Sends every item to its staging key and proves each one there (HEAD with checksums). One producer reads files in
 * order (so whole-file hashes are computed as the bytes stream past) while up to `concurrency` requests are in
 * flight; memory is bounded by concurrency × part size. The first failure stops the rest.
 */
export async function uploadAll(items: UploadItem[], ctx: UploaderContext): Promise<UploadStats> {
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const slots = new Slots(ctx.settings.concurrency);
  const throttle = new Throttle(ctx.settings.bandwidthLimit);
  const stats: UploadStats = { uploaded: 0, uploadedBytes: 0, resumedParts: 0 };
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  const fail = (error: unknown): void => {
    if (failure === undefined) failure = error;
    stop.abort();
  };
  const track = (work: Promise<void>): void => {
    const tracked = work.catch(fail).finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };
  const run: RunContext = { ...ctx, signal, slots, throttle, stats, track };

  try {
    for (const item of items) {
      if (failure !== undefined) break;
      if (item.sent.size < ctx.settings.multipartThreshold && !item.resume) await sendWhole(item, run);
      else await sendInParts(item, run);
    }
  } catch (error) {
    fail(error);
  }
  while (inflight.size > 0) await Promise.all([...inflight]);
  if (ctx.signal.aborted) throw new InterruptedError();
  if (failure !== undefined) throw failure;
  return stats;
}

interface RunContext extends UploaderContext {
  slots: Slots;
  throttle: Throttle;
  stats: UploadStats;
  track: (work: Promise<void>) => void;
}

function changedError(item: UploadItem): OffsiteError {
  return new OffsiteError(`${item.displayPath} changed while it was being stored; run again once it is stable`);
}

/** Sends a body with our retry loop; the meter is wound back by whatever a failed attempt had counted. */
async function sendPaced<T>(data: Buffer, run: RunContext, what: string, send: (body: Buffer | ReturnType<typeof pacedBody>) => Promise<T>): Promise<T> {
  return withRetries(
    run.settings.attempts,
    run.signal,
    async () => {
      let counted = 0;
      const body = data.length === 0 ? data : pacedBody(data, run.throttle, (n) => { counted += n; run.meter.add(n); }, run.signal);
      try {
        const result = await send(body);
        run.stats.uploadedBytes += data.length;
        return result;
      } catch (error) {
        run.meter.update(run.meter.done - counted);
        throw error;
      }
    },
    (error, attempt) => run.emit({ type: 'log', message: `${what}: attempt ${attempt} failed (${describeError(error)}); trying again` }),
  ).catch((error: unknown) => {
    throw s3Error(error, what);
  });
}

async function sendWhole(item: UploadItem, run: RunContext): Promise<void> {
  await run.slots.acquire(run.signal);
  let data: Buffer;
  try {
    data = await readFile(item.path);
    if (sha256Of(data) !== item.sent.sha256) throw changedError(item);
  } catch (error) {
    run.slots.release();
    throw error;
  }
  run.track(
    (async () => {
      try {
        await sendPaced(data, run, `storing ${item.displayPath}`, (body) =>
          run.s3.data.send(
            new PutObjectCommand({
              Bucket: run.bucket,
              Key: item.key,
              Body: body,
              ContentLength: data.length,
              ContentMD5: Buffer.from(item.sent.md5, 'hex').toString('base64'),
              ChecksumAlgorithm: run.settings.checksumAlgorithm,
              ...checksumParams(run.settings.checksumAlgorithm, item.sent.checksum),
              Metadata: item.metadata,
              ...sseParams(run.settings.sse),
            }),
            { abortSignal: run.signal },
          ),
        );
        await proveStaged(item, run);
        run.stats.uploaded++;
      } finally {
        run.slots.release();
      }
    })(),
  );
}

async function readPart(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** A part S3 holds is ours when its checksum (or, without one, its MD5 ETag) matches the bytes we would send. */
function samePart(stored: StoredPart | undefined, part: { size: number; md5: string; checksum: string }): boolean {
  if (!stored || stored.size !== part.size) return false;
  return stored.checksum ? stored.checksum === part.checksum : stored.etag === part.md5;
}

async function startUpload(item: UploadItem, run: RunContext, partSize: number): Promise<string> {
  const descriptor: UploadDescriptor = {
    bucket: run.bucket,
    key: item.key,
    session: run.session,
    file: item.rel,
    size: item.sent.size,
    sha256: item.plaintext.sha256,
    partSize,
    algorithm: run.settings.checksumAlgorithm,
    encryption: run.encryption,
  };
  await run.ledger.record({ op: 'intent', kind: 'multipart-upload', detail: JSON.stringify({ bucket: run.bucket, key: item.key, session: run.session }) });
  const created = await s3Call(`starting the upload of ${item.displayPath}`, () =>
    run.s3.control.send(
      new CreateMultipartUploadCommand({
        Bucket: run.bucket,
        Key: item.key,
        ChecksumAlgorithm: run.settings.checksumAlgorithm,
        ChecksumType: 'FULL_OBJECT',
        Metadata: item.metadata,
        ...sseParams(run.settings.sse),
      }),
      { abortSignal: run.signal },
    ),
  );
  const uploadId = created.UploadId!;
  await run.ledger.record({ op: 'created', kind: 'multipart-upload', id: uploadId, detail: JSON.stringify(descriptor) });
  run.emit({ type: 'resource-created', kind: 'multipart-upload', id: uploadId, detail: `s3://${run.bucket}/${item.key}` });
  return uploadId;
}

async function sendInParts(item: UploadItem, run: RunContext): Promise<void> {
  const partSize = item.resume?.partSize ?? partSizeFor(item.sent.size, run.settings.partSize);
  const uploadId = item.resume?.uploadId ?? (await startUpload(item, run, partSize));
  const count = Math.max(1, Math.ceil(item.sent.size / partSize));
  const algorithm = run.settings.checksumAlgorithm;
  // The whole file's SHA-256 as it streams past, held to the one the hash phase computed: a change fails the file.
  const whole = createHash('sha256');
  const parts: CompletedPart[] = [];
  const pending: Promise<void>[] = [];
  const handle = await open(item.path, 'r');
  try {
    for (let n = 1; n <= count; n++) {
      await run.slots.acquire(run.signal);
      let data: Buffer;
      let digest: ReturnType<typeof partDigest>;
      try {
        data = await readPart(handle, (n - 1) * partSize, Math.min(partSize, item.sent.size - (n - 1) * partSize));
        whole.update(data);
        digest = partDigest(data, algorithm);
      } catch (error) {
        run.slots.release();
        throw error;
      }
      const stored = item.resume?.parts.get(n);
      if (samePart(stored, digest)) {
        run.slots.release();
        parts.push({ PartNumber: n, ETag: `"${stored!.etag}"`, ...checksumParams(algorithm, digest.checksum) });
        run.stats.resumedParts++;
        run.meter.add(data.length);
        continue;
      }
      const sending = (async () => {
        try {
          const result = await sendPaced(data, run, `storing part ${n}/${count} of ${item.displayPath}`, (body) =>
            run.s3.data.send(
              new UploadPartCommand({
                Bucket: run.bucket,
                Key: item.key,
                UploadId: uploadId,
                PartNumber: n,
                Body: body,
                ContentLength: data.length,
                ChecksumAlgorithm: algorithm,
                ...checksumParams(algorithm, digest.checksum),
              }),
              { abortSignal: run.signal },
            ),
          );
          parts.push({ PartNumber: n, ETag: result.ETag!, ...checksumParams(algorithm, digest.checksum) });
          await run.ledger.record({
            op: 'created',
            kind: 'multipart-upload',
            id: uploadId,
            detail: JSON.stringify({ bucket: run.bucket, key: item.key, session: run.session, part: n, size: data.length, etag: result.ETag, checksum: digest.checksum }),
          });
          run.emit({ type: 'log', message: `stored part ${n}/${count} of ${item.rel}` });
        } finally {
          run.slots.release();
        }
      })();
      pending.push(sending);
      run.track(sending);
    }
  } finally {
    await handle.close();
  }
  if (whole.digest('hex') !== item.sent.sha256) throw changedError(item);
  run.track(
    (async () => {
      await Promise.all(pending);
      parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await s3Call(`completing the upload of ${item.displayPath}`, () =>
        run.s3.control.send(
          new CompleteMultipartUploadCommand({
            Bucket: run.bucket,
            Key: item.key,
            UploadId: uploadId,
            ChecksumType: 'FULL_OBJECT',
            [checksumField(algorithm)]: item.sent.checksum,
            MultipartUpload: { Parts: parts },
          }),
          { abortSignal: run.signal },
        ),
      );
      await run.ledger.record({ op: 'released', kind: 'multipart-upload', id: uploadId, action: 'completed' });
      run.emit({ type: 'resource-released', kind: 'multipart-upload', id: uploadId, action: 'closed' });
      await proveStaged(item, run);
      run.stats.uploaded++;
    })(),
  );
}

/** The staged object must be exactly what we sent: size, S3's full-object checksum, our metadata, the MD5 ETag. */
async function proveStaged(item: UploadItem, run: RunContext): Promise<void> {
  const remote = await checkedHead(run.s3.control, run.bucket, item.key, run.signal);
  const difference = objectDifference(
    { path: item.displayPath, size: item.sent.size, checksum: item.sent.checksum, md5: item.sent.md5, sha256: item.plaintext.sha256, encryption: run.encryption },
    remote,
    run.settings.checksumAlgorithm,
  );
  if (difference) throw new OffsiteError(`verification of the upload failed: ${difference}`, ExitCode.differences);
}
