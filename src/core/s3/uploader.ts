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
import { InterruptedError, OffsiteError, describeError } from '../../errors.js';
import type { RunLedger } from '../ledger/ledger.js';
import type { Emit } from '../phases.js';
import type { ProgressMeter } from '../progress.js';
import { createHash, randomUUID } from 'node:crypto';
import { digestOf, type ChecksumAlgorithm } from '../checksums/algorithms.js';
import { sha256Of, type Digests } from '../checksums/content.js';
import type { UploadDescriptor } from './leftovers.js';
import type { StoredPart } from './multipart-api.js';
import { BufferPool, InFlight, Throttle, pacedBody } from './pacing.js';
import type { EncryptionPlan, UploadSettings } from './plan.js';
import type { ObjectParams } from './object-params.js';
import { checkedHead, deleteKeys, md5IfSinglePart, proveWrite, type WriteAnswer } from './remote.js';
import { withRetries } from './retry.js';
import { checksumField, checksumParams, partSizeFor } from './s3-params.js';
import { escapeName } from '../../util/escape-name.js';

/** One file on its way to its key: the final one when nothing is there, else its staging key. */
export interface UploadItem {
  /** The source file, escaped, for messages. */
  displayPath: string;
  rel: string;
  key: string;
  /** The key was free when listed: the write must not replace anything that appeared since (If-None-Match). */
  fresh: boolean;
  /** The bytes to send: the file itself, or its encrypted copy. */
  path: string;
  sent: Digests;
  plaintext: Digests;
  params: ObjectParams;
  /** An interrupted multipart upload of the same bytes, to continue. */
  resume?: { uploadId: string; partSize: number; parts: Map<number, StoredPart> };
}

/** A file whose digests are still being computed (see hash-ahead.ts): an item once they are known. */
export interface PendingItem {
  rel: string;
  size: number;
  ready: () => Promise<UploadItem>;
}

export const sentSize = (item: UploadItem | PendingItem): number => ('ready' in item ? item.size : item.sent.size);

/** Files up to this size go up from pooled buffers. */
const SMALL_FILE = 256 * 1024;

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
  /** The ETag S3 gave each stored file (by rel), for the listing that checks them all at the end. */
  etags: Map<string, string>;
}

/**
 * Sends every item to its key and proves it from S3's answer: the request carries Content-MD5 and the full-object
 * checksum, S3 refuses bytes that do not match them, and the answer's checksum and ETag are held to ours (a HEAD
 * only where the answer lacks the checksum). One producer reads files in order (so whole-file hashes are computed as
 * the bytes stream past) while requests are in flight: bodies of concurrency × part size at most, up to eight
 * times `concurrency` requests when they are small files (a small PUT costs a round trip, not memory). The first
 * failure stops the rest.
 */
export async function uploadAll(items: Array<UploadItem | PendingItem>, ctx: UploaderContext): Promise<UploadStats> {
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const slots = new InFlight(8 * ctx.settings.concurrency, ctx.settings.concurrency * ctx.settings.partSize);
  const pool = new BufferPool(ctx.settings.partSize);
  const smallPool = new BufferPool(SMALL_FILE);
  const throttle = new Throttle(ctx.settings.bandwidthLimit);
  const stats: UploadStats = { uploaded: 0, uploadedBytes: 0, resumedParts: 0, etags: new Map() };
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
  const run: RunContext = { ...ctx, signal, slots, pool, smallPool, throttle, stats, track };

  try {
    for (const entry of items) {
      if (failure !== undefined) break;
      const item = 'ready' in entry ? await entry.ready() : entry;
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
  slots: InFlight;
  pool: BufferPool;
  smallPool: BufferPool;
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
  const size = item.sent.size;
  await run.slots.acquire(size, run.signal);
  // Small files are read into buffers used again and again: a fresh one per file would leave tens of MB of
  // garbage outside the JS heap before the collector runs, and the RSS would show it.
  const buffer = size <= SMALL_FILE ? run.smallPool.take() : undefined;
  const done = (): void => {
    if (buffer) run.smallPool.give(buffer);
    run.slots.release(size);
  };
  let data: Buffer;
  try {
    data = buffer ? await readWhole(item.path, buffer) : await readFile(item.path);
    if (sha256Of(data) !== item.sent.sha256) throw changedError(item);
  } catch (error) {
    done();
    throw error;
  }
  run.track(
    (async () => {
      try {
        await sendPaced(data, run, `storing ${item.displayPath}`, (body) =>
          run.s3.data.send(
            new PutObjectCommand({
              ...item.params,
              Bucket: run.bucket,
              Key: item.key,
              Body: body,
              ContentLength: data.length,
              ContentMD5: Buffer.from(item.sent.md5, 'hex').toString('base64'),
              ChecksumAlgorithm: run.settings.checksumAlgorithm,
              ...checksumParams(run.settings.checksumAlgorithm, item.sent.checksum),
              ...(item.fresh ? { IfNoneMatch: '*' } : {}),
            }),
            { abortSignal: run.signal },
          ).catch((error: unknown) => {
            throw appeared(error, item) ?? error;
          }),
        ).then((answer) => proveAnswer(item, answer, run));
        run.stats.uploaded++;
      } finally {
        done();
      }
    })(),
  );
}

/** The whole file into `buffer` (it holds at most buffer.length bytes: a file that grew fails its SHA-256). */
async function readWhole(path: string, buffer: Buffer): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    return await readPart(handle, buffer, 0, buffer.length);
  } finally {
    await handle.close();
  }
}

async function readPart(handle: FileHandle, buffer: Buffer, position: number, length: number): Promise<Buffer> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * A part S3 holds is ours when its checksum matches the bytes we would send; where ListParts shows no checksum, its
 * ETag must be their MD5 (computed only then: MD5 costs as much as sending the part).
 */
function samePart(stored: StoredPart | undefined, data: Buffer, checksum: string): boolean {
  if (!stored || stored.size !== data.length) return false;
  return stored.checksum ? stored.checksum === checksum : stored.etag === digestOf('MD5', data).toString('hex');
}

function partChecksum(data: Buffer, algorithm: ChecksumAlgorithm): string {
  return digestOf(algorithm, data).toString('base64');
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
  if (run.signal.aborted) throw new InterruptedError();
  const clientToken = randomUUID();
  await run.ledger.record({ op: 'intent', kind: 'multipart-upload', clientToken, detail: JSON.stringify({ bucket: run.bucket, key: item.key, session: run.session }) });
  // Not cut short by a stop: S3 may create the upload after the client gave up, and an upload whose id we never
  // learnt is billed and found by nobody. The request is short; its answer is recorded, then the stop is honoured.
  const created = await s3Call(`starting the upload of ${item.displayPath}`, () =>
    run.s3.control.send(
      new CreateMultipartUploadCommand({
        ...item.params,
        Bucket: run.bucket,
        Key: item.key,
        ChecksumAlgorithm: run.settings.checksumAlgorithm,
        ChecksumType: 'FULL_OBJECT',
      }),
    ),
  );
  const uploadId = created.UploadId!;
  await run.ledger.record({ op: 'created', kind: 'multipart-upload', id: uploadId, clientToken, detail: JSON.stringify(descriptor) });
  run.emit({ type: 'resource-created', kind: 'multipart-upload', id: uploadId, detail: `s3://${run.bucket}/${escapeName(item.key)}` });
  if (run.signal.aborted) throw new InterruptedError();
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
      await run.slots.acquire(partSize, run.signal);
      const buffer = partSize === run.settings.partSize ? run.pool.take() : Buffer.allocUnsafe(partSize);
      const done = (): void => {
        run.pool.give(buffer);
        run.slots.release(partSize);
      };
      let data: Buffer;
      let checksum: string;
      try {
        data = await readPart(handle, buffer, (n - 1) * partSize, Math.min(partSize, item.sent.size - (n - 1) * partSize));
        whole.update(data);
        checksum = partChecksum(data, algorithm);
      } catch (error) {
        done();
        throw error;
      }
      const stored = item.resume?.parts.get(n);
      if (samePart(stored, data, checksum)) {
        done();
        parts.push({ PartNumber: n, ETag: `"${stored!.etag}"`, ...checksumParams(algorithm, checksum) });
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
                ...checksumParams(algorithm, checksum),
              }),
              { abortSignal: run.signal },
            ),
          );
          parts.push({ PartNumber: n, ETag: result.ETag!, ...checksumParams(algorithm, checksum) });
          await run.ledger.record({
            op: 'created',
            kind: 'multipart-upload',
            id: uploadId,
            detail: JSON.stringify({ bucket: run.bucket, key: item.key, session: run.session, part: n, size: data.length, etag: result.ETag, checksum }),
          });
          run.emit({ type: 'log', message: `stored part ${n}/${count} of ${escapeName(item.rel)}` });
        } finally {
          done();
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
      const answer = await s3Call(`completing the upload of ${item.displayPath}`, () =>
        run.s3.control.send(
          new CompleteMultipartUploadCommand({
            Bucket: run.bucket,
            Key: item.key,
            UploadId: uploadId,
            ChecksumType: 'FULL_OBJECT',
            [checksumField(algorithm)]: item.sent.checksum,
            MultipartUpload: { Parts: parts },
            ...(item.fresh ? { IfNoneMatch: '*' } : {}),
          }),
          { abortSignal: run.signal },
        ),
      ).catch((error: unknown) => {
        throw appeared(error, item) ?? error;
      });
      await run.ledger.record({ op: 'released', kind: 'multipart-upload', id: uploadId, action: 'completed' });
      run.emit({ type: 'resource-released', kind: 'multipart-upload', id: uploadId, action: 'closed' });
      await proveAnswer(item, answer, run);
      run.stats.uploaded++;
    })(),
  );
}

/**
 * Holds the stored object to what we sent, from S3's answer; its ETag is kept for the final listing. An object that
 * fails the proof at a key that was free (so it is ours alone) is removed at once: S3 itself never lets such bytes
 * in (it checks Content-MD5), but a stand-in server may.
 */
async function proveAnswer(item: UploadItem, answer: WriteAnswer, run: RunContext): Promise<void> {
  const expected = { path: item.displayPath, size: item.sent.size, checksum: item.sent.checksum, ...md5IfSinglePart(item.sent.size, item.sent.md5), sha256: item.plaintext.sha256, encryption: run.encryption };
  try {
    const etag = await proveWrite(expected, answer, {
      algorithm: run.settings.checksumAlgorithm,
      sse: run.settings.sse?.kind,
      head: () => checkedHead(run.s3.control, run.bucket, item.key, run.signal),
    });
    run.stats.etags.set(item.rel, etag);
  } catch (error) {
    if (item.fresh) await deleteKeys(run.s3.control, run.bucket, [item.key]);
    throw error;
  }
}

/** A conditional write refused because an object appeared at a key that was free when listed. */
function appeared(error: unknown, item: UploadItem): OffsiteError | undefined {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name !== 'PreconditionFailed' && e?.$metadata?.httpStatusCode !== 412) return undefined;
  return new OffsiteError(`${item.displayPath}: an object appeared at its key ${escapeName(item.key)} while this run was storing it (another writer?); it was left as it is, run again`);
}
