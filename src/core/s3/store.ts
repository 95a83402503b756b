import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { S3Clients } from '../../aws/s3.js';
import { OffsiteError, UsageError, describeError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { RunLedger } from '../ledger/ledger.js';
import { outstanding } from '../ledger/ledger.js';
import { phaseRunner, skipPhase, type Emit } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { formatBytes } from '../../util/format.js';
import type { Digests } from '../checksums/content.js';
import { digestFile } from '../checksums/file-hash.js';
import { encryptFile, passphraseWarning, stopGpgAgent } from './encryption.js';
import { closeLeftover, sessionLeftovers, type Leftover } from './leftovers.js';
import { scanSource } from './local-files.js';
import { abortRecordedUpload, abortUpload, listIncompleteUploads } from './multipart-api.js';
import type { S3StorePlan, S3StoreResult, SizeLimit } from './plan.js';
import { promoteAll, type PromoteItem } from './promote.js';
import { contentTypeGuesser } from './content-type.js';
import { escapeName } from '../../util/escape-name.js';
import { objectParams, type ObjectParamsContext } from './object-params.js';
import { loadProvedIndex, saveProvedIndex, type ProvedIndex } from './proved-index.js';
import { deleteKeys, listObjects, md5IfSinglePart, type ListedObject } from './remote.js';
import { fileTreeMetadata, storeTreeManifest } from '../restore/s3-tree-manifest.js';
import { lockSession, sessionId, stagingPrefix } from './session.js';
import { checkBucket, isUpload, listDestination, surveyDestination, uploadKey, type FileDecision } from './survey.js';
import { s3Url } from './url.js';
import { sentSize, uploadAll, type PendingItem, type UploadItem, type UploadStats } from './uploader.js';
import { deferredHashes, hashAhead } from './hash-ahead.js';

export interface S3StoreDeps {
  s3: S3Clients;
  ledger: RunLedger;
  /** Where run ledgers and locks live (earlier runs' ledgers are read to resume). */
  stateDir: string;
  /** How the endpoint is treated (a non-AWS server gets adjusted checksum behaviour); shown as log lines. */
  endpointNotes?: string[];
}

/** `offsite s3 <dir> s3://bucket/prefix`: announces the run, then stores the directory. */
export async function runS3Store(plan: S3StorePlan, deps: S3StoreDeps, control: RunControl): Promise<S3StoreResult> {
  control.emit({ type: 'run-start', runId: deps.ledger.runId, command: `s3 ${plan.source} ${s3Url(plan.destination)}` });
  return storeDirectory(plan, deps, control);
}

export function sizeLimitError(total: number, limit: SizeLimit | undefined): OffsiteError | undefined {
  if (!limit || total <= limit.bytes) return undefined;
  return new OffsiteError(`Amazon S3 size limit exceeded: ${formatBytes(total)} > ${limit.text} (${limit.name})`);
}

/**
 * Stores the regular files of a directory under an S3 prefix, never deleting or overwriting a good object with an
 * unproved one:
 *   scan → list the destination (one request per 1,000 keys) and match it with the index of what was proved last
 *   time → hash what the index cannot vouch for (SHA-256, MD5, CRC) → decide → [encrypt] → send: a free key gets the
 *   object directly (S3 checks Content-MD5 and the checksum before the object exists), an occupied one gets a staged
 *   copy that is proved and then copied over it → list again: every object present with the size and ETag proved →
 *   remove stale objects (mirror) and the staged copies → save the index.
 * Interrupted uploads, staged objects and their ledger records stay for the next run of the same command to resume.
 */
export async function storeDirectory(plan: S3StorePlan, deps: S3StoreDeps, control: RunControl): Promise<S3StoreResult> {
  const { emit, signal } = control;
  const { ledger } = deps;
  const phase = phaseRunner(emit, signal);
  const started = Date.now();
  const { bucket, prefix } = plan.destination;
  const algorithm = plan.upload.checksumAlgorithm;
  const destination = s3Url(plan.destination);
  for (const message of deps.endpointNotes ?? []) emit({ type: 'log', message });

  // The bucket first, before any phase line: a missing bucket is one line, like any other bad input.
  const s3 = deps.s3.control;
  await checkBucket(s3, bucket, signal);

  const scan = await phase('scan', `Scan ${plan.source}`, () =>
    scanSource(plan.source, { skipIndicators: plan.skipIndicators, followSymlinks: plan.followSymlinks === true }, signal),
  );
  if (scan.unreadable.length > 0) {
    const n = scan.unreadable.length;
    throw new UsageError(`${escapeName(plan.source)}: ${n} ${n === 1 ? 'entry' : 'entries'} cannot be read (first: ${scan.unreadable[0]})`);
  }
  if (scan.skipped.length > 0) {
    const n = scan.skipped.length;
    emit({ type: 'warning', message: `${n} ${n === 1 ? 'entry is not a regular file and is' : 'entries are not regular files and are'} not stored (first: ${scan.skipped[0]})` });
  }
  for (const name of scan.notUtf8) emit({ type: 'warning', message: `not stored: ${name}: its name is not UTF-8, which S3 keys must be (rename it to store it)` });
  const total = scan.files.reduce((sum, f) => sum + f.size, 0);
  emit({ type: 'log', message: `${escapeName(plan.source)}: ${scan.files.length} files, ${formatBytes(total)}` });
  const tooBig = sizeLimitError(total, plan.sizeLimit);
  if (tooBig) throw tooBig;
  const longKey = scan.files.find((f) => Buffer.byteLength(`${prefix}${f.rel}`) > 1024);
  if (longKey) throw new UsageError(`${escapeName(longKey.path)}: its S3 key would be longer than S3's 1,024 bytes`);
  const loosePassphrase = await passphraseWarning(plan.encryption);
  if (loosePassphrase) emit({ type: 'warning', message: loosePassphrase });

  const session = sessionId(plan.source, plan.destination);
  const staging = stagingPrefix(session);
  const index = await loadProvedIndex(deps.stateDir, session);
  const listing = await phase('list', `List ${destination}`, () => listDestination(plan, scan.files, index, s3, signal));
  let lockRelease: (() => Promise<void>) | undefined;
  let tempDir: string | undefined;
  const stopHashing = new AbortController(); // a run that ends early does not hash on in the background
  let completed = false;
  let stagingRecorded = false;
  try {
    if (!plan.dryRun) {
      const lock = await lockSession(deps.stateDir, session, ledger.runId);
      await ledger.record({ op: 'created', kind: 'lock', id: lock.path, detail: JSON.stringify({ session }) });
      lockRelease = async () => {
        await lock.release();
        await ledger.record({ op: 'released', kind: 'lock', id: lock.path, action: 'removed' });
      };
    }
    const leftovers = await sessionLeftovers(deps.stateDir, session, ledger.runId);
    const unknown = scan.files.filter((file) => !listing.known.has(file.rel));
    const threshold = plan.upload.multipartThreshold;
    const later =
      plan.dryRun || plan.encryption.kind !== 'none' || leftovers.length > 0
        ? new Set<string>()
        : deferredHashes(unknown, (file) => file.size >= threshold && !listing.objects.has(`${prefix}${file.rel}`));
    const toHash = unknown.filter((file) => !later.has(file.rel));
    const hashBytes = toHash.reduce((sum, f) => sum + f.size, 0);
    const known = scan.files.length - unknown.length;
    const whileSending = later.size === 0 ? '' : later.size === 1 ? '; 1 large file as it is sent' : `; ${later.size} large files as they are sent`;
    const hashed =
      toHash.length > 0
        ? await phase('hash', `Checksum ${toHash.length} files (SHA-256, ${algorithm})${known ? `; ${known} unchanged since they were proved` : ''}${whileSending}`, async () => {
            const meter = new ProgressMeter('hash', emit, hashBytes);
            const out = new Map<string, Digests>();
            const scratch = Buffer.allocUnsafe(1024 * 1024);
            for (const file of toHash) out.set(file.rel, await digestFile(file.path, algorithm, (n) => meter.add(n), signal, { scratch, md5: file.size < plan.upload.multipartThreshold }));
            meter.finish();
            return out;
          })
        : (skipPhase(emit, 'hash', 'Checksum', `all ${known} files unchanged since they were proved`), new Map<string, Digests>());
    // A file hashed later has its digests filled in before it is sent; until then only its size is known.
    const files = scan.files.map((file) => ({ file, plaintext: hashed.get(file.rel) ?? (later.has(file.rel) ? { size: file.size, sha256: '', md5: '', checksum: '' } : undefined) }));
    const survey = await phase('check', `Compare with ${destination}`, () =>
      surveyDestination(plan, listing, files, { s3, session, leftovers, concurrency: Math.max(4, plan.upload.concurrency), signal }),
    );
    const { decisions } = survey;
    const toUpload = decisions.filter(isUpload);
    const staged = decisions.filter((d) => d.action === 'staged');
    const replacing = toUpload.filter((d) => d.action === 'replace').length;
    const unchanged = decisions.filter((d) => d.action === 'unchanged').length;
    const toRemove = plan.mirror ? survey.stale : [];
    const resuming = toUpload.filter((d) => d.resume).length;
    emit({
      type: 'log',
      message: `${toUpload.length} to send (${replacing} replacing an object)${resuming ? ` (${resuming} resumed)` : ''}, ${staged.length} already staged, ${unchanged} unchanged, ${toRemove.length} to remove`,
    });
    if (!plan.mirror && survey.stale.length > 0) emit({ type: 'log', message: `${survey.stale.length} objects under ${destination} are not in the source (kept; mirror mode removes them)` });

    const result = (extra: Partial<S3StoreResult>): S3StoreResult => ({
      destination,
      files: decisions.length,
      bytes: total,
      uploaded: 0,
      uploadedBytes: 0,
      resumedParts: 0,
      reusedStaged: staged.length,
      unchanged,
      removed: 0,
      verified: 0,
      skipped: scan.skipped.length + scan.notUtf8.length,
      encryption: plan.encryption.kind,
      checksumAlgorithm: algorithm,
      dryRun: plan.dryRun,
      elapsedMs: Date.now() - started,
      ...extra,
    });
    if (plan.dryRun) {
      completed = true;
      return result({ wouldUpload: toUpload.map((d) => d.key), wouldRemove: toRemove });
    }

    await settleLeftovers(leftovers, survey.abandoned, toUpload, { ...deps, bucket, emit, signal, plan });

    const usesStaging = replacing > 0 || staged.length > 0 || leftovers.some((l) => l.kind === 'staging-area');
    if (usesStaging) {
      await ledger.record({ op: 'created', kind: 'staging-area', id: `s3://${bucket}/${staging}`, detail: JSON.stringify({ session, bucket }) });
      emit({ type: 'resource-created', kind: 'staging-area', id: `s3://${bucket}/${staging}` });
      stagingRecorded = true;
    }

    const paramsContext = { settings: plan.upload, encryption: plan.encryption.kind, createdBy: plan.createdBy, contentTypes: contentTypeGuesser(), cedar: plan.skipIndicators };
    // Encrypted copies go to a private directory that only this run uses, removed in `finally`.
    let items: Array<UploadItem | PendingItem> = [];
    if (plan.encryption.kind !== 'none' && toUpload.length > 0) {
      tempDir = await mkdtemp(join(plan.workDir, 'offsite-s3-'));
      await chmod(tempDir, 0o700);
      await ledger.record({ op: 'created', kind: 'temp-dir', id: tempDir, detail: JSON.stringify({ session }) });
      emit({ type: 'resource-created', kind: 'temp-dir', id: tempDir, detail: 'encrypted copies' });
      const dir = tempDir;
      items = await phase('encrypt', `Encrypt ${toUpload.length} files (${plan.encryption.kind === 'gpg' ? 'gpg, AES256' : 'encrypt command'})`, () =>
        encryptAll(toUpload, plan, dir, paramsContext, emit, signal),
      );
    } else {
      const ahead = hashAhead(toUpload.filter((d) => later.has(d.file.rel)).map((d) => d.file), algorithm, AbortSignal.any([signal, stopHashing.signal]));
      items = toUpload.map((d) => {
        const digests = ahead.get(d.file.rel);
        if (!digests) return uploadItem(d, d.file.path, d.plaintext, paramsContext);
        return {
          rel: d.file.rel,
          size: d.file.size,
          ready: async () => {
            d.plaintext = await digests;
            return uploadItem(d, d.file.path, d.plaintext, paramsContext);
          },
        };
      });
    }
    if (plan.encryption.kind !== 'none' && toUpload.length === 0) skipPhase(emit, 'encrypt', 'Encrypt', 'nothing new to encrypt');

    let stats: UploadStats = { uploaded: 0, uploadedBytes: 0, resumedParts: 0, etags: new Map() };
    if (items.length > 0) {
      const sendBytes = items.reduce((sum, item) => sum + sentSize(item), 0);
      stats = await phase('upload', `Upload ${items.length} files (${formatBytes(sendBytes)})`, async () => {
        const meter = new ProgressMeter('upload', emit, sendBytes);
        const done = await uploadAll(items, { s3: deps.s3, bucket, session, settings: plan.upload, encryption: plan.encryption.kind, ledger, emit, meter, signal });
        meter.finish();
        return done;
      });
    } else skipPhase(emit, 'upload', 'Upload', unchanged === decisions.length ? 'nothing changed' : 'everything new was already staged');
    if (tempDir) await removeTempDir(tempDir, plan, deps, emit).then(() => (tempDir = undefined));

    // Files hashed as they were sent are new objects (nothing to copy into place) whose digests are their decisions'.
    const sent = items.filter((item): item is UploadItem => !('ready' in item));
    const sentByRel = new Map(sent.map((item) => [item.rel, item.sent]));
    const promotions = promoteItems(sent.filter((item) => !item.fresh), staged, plan, paramsContext);
    if (promotions.length > 0) {
      const promoteBytes = promotions.reduce((sum, p) => sum + p.expected.size, 0);
      const copied = await phase('promote', `Copy ${promotions.length} proved objects into place under ${destination}`, async () => {
        const meter = new ProgressMeter('promote', emit, promoteBytes);
        const etags = await promoteAll(promotions, { s3, bucket, session, settings: plan.upload, ledger, emit, meter, signal, sse: plan.upload.sse?.kind });
        meter.finish();
        return etags;
      });
      for (const [rel, etag] of copied) stats.etags.set(rel, etag);
    } else skipPhase(emit, 'promote', 'Copy into place', 'nothing to replace');

    const proved = provedObjects(decisions, sentByRel, stats.etags);
    // Nothing written: the listing this run began with is already the state to check.
    const wrote = items.length > 0 || promotions.length > 0;
    const verified = await phase('verify', `Verify ${decisions.length} objects under ${destination} (listing: present, size, ETag as proved)`, async () =>
      verifyListed(proved, wrote ? await listObjects(s3, bucket, prefix, signal) : listing.objects, emit),
    );

    const removed = await phase('tidy', (usesStaging ? 'Remove staged copies' : 'Tidy') + (toRemove.length ? ` and ${toRemove.length} objects no longer in the source` : ''), async () => {
      // Only now, with every object proved, does anything leave the destination.
      await deleteKeys(s3, bucket, toRemove, signal);
      if (usesStaging) {
        await deleteKeys(s3, bucket, [...(await listObjects(s3, bucket, staging, signal)).keys()], signal);
        for (const upload of await listIncompleteUploads(s3, bucket, staging, signal)) await abortUpload(s3, bucket, upload, signal);
      }
      if (stagingRecorded) {
        await ledger.record({ op: 'released', kind: 'staging-area', id: `s3://${bucket}/${staging}`, action: 'deleted' });
        emit({ type: 'resource-released', kind: 'staging-area', id: `s3://${bucket}/${staging}`, action: 'deleted' });
      }
      return toRemove.length;
    });
    await storeTreeManifest(s3, plan, { stateDir: deps.stateDir, session }, signal);
    await saveProvedIndex(deps.stateDir, session, provedIndex(proved, plan));
    completed = true;
    return result({ uploaded: stats.uploaded, uploadedBytes: stats.uploadedBytes, resumedParts: stats.resumedParts, verified, removed, elapsedMs: Date.now() - started });
  } finally {
    stopHashing.abort();
    if (tempDir) await removeTempDir(tempDir, plan, deps, emit).catch((error: unknown) => emit({ type: 'warning', message: `could not remove ${tempDir}: ${describeError(error)}` }));
    if (!completed && !plan.dryRun) await reportKept(ledger, emit, `s3://${bucket}/${staging}`, stagingRecorded);
    await lockRelease?.();
  }
}

function uploadItem(decision: FileDecision, path: string, sent: Digests, ctx: ObjectParamsContext & { cedar: boolean }): UploadItem {
  const fresh = decision.action === 'new';
  return {
    displayPath: escapeName(decision.file.path),
    rel: decision.file.rel,
    key: uploadKey(decision),
    fresh,
    path,
    sent,
    plaintext: decision.plaintext,
    params: withTreeMetadata(objectParams(decision.file, { plaintext: decision.plaintext, sent }, !fresh, ctx), fileTreeMetadata(decision.file.path, ctx.cedar)),
    ...(decision.resume ? { resume: decision.resume } : {}),
  };
}

async function encryptAll(toUpload: FileDecision[], plan: S3StorePlan, tempDir: string, paramsContext: ObjectParamsContext & { cedar: boolean }, emit: Emit, signal: AbortSignal): Promise<UploadItem[]> {
  const gnupgHome = join(tempDir, 'gnupg');
  await mkdir(gnupgHome, { mode: 0o700 });
  const meter = new ProgressMeter('encrypt', emit, toUpload.reduce((sum, d) => sum + d.file.size, 0));
  const items: UploadItem[] = [];
  for (const decision of toUpload) {
    const output = join(tempDir, 'data', decision.file.rel);
    await encryptFile(plan.encryption, decision.file, output, gnupgHome, signal);
    const sent = await digestFile(output, plan.upload.checksumAlgorithm, () => undefined, signal);
    items.push(uploadItem(decision, output, sent, paramsContext));
    meter.add(decision.file.size);
  }
  meter.finish();
  return items;
}

async function removeTempDir(dir: string, plan: S3StorePlan, deps: S3StoreDeps, emit: Emit): Promise<void> {
  await stopGpgAgent(plan.encryption, join(dir, 'gnupg'));
  await rm(dir, { recursive: true, force: true });
  await deps.ledger.record({ op: 'released', kind: 'temp-dir', id: dir, action: 'removed' });
  emit({ type: 'resource-released', kind: 'temp-dir', id: dir, action: 'removed' });
}

function promoteItems(items: UploadItem[], staged: FileDecision[], plan: S3StorePlan, ctx: ObjectParamsContext): PromoteItem[] {
  const encryption = plan.encryption.kind;
  const sent = items.map((item) => ({
    displayPath: item.displayPath,
    rel: item.rel,
    stagingKey: item.key,
    finalKey: `${plan.destination.prefix}${item.rel}`,
    expected: { path: item.displayPath, size: item.sent.size, checksum: item.sent.checksum, ...md5IfSinglePart(item.sent.size, item.sent.md5), sha256: item.plaintext.sha256, encryption },
    params: objectParams(item, item, false, ctx),
  }));
  const reused = staged.map((decision) => {
    const bytes = decision.proved!.sent;
    const path = escapeName(decision.file.path);
    return {
      displayPath: path,
      rel: decision.file.rel,
      stagingKey: decision.stagingKey,
      finalKey: decision.key,
      expected: { path, size: bytes.size, checksum: bytes.checksum, sha256: decision.plaintext.sha256, encryption },
      params: objectParams(decision.file, { plaintext: decision.plaintext, sent: bytes }, false, ctx),
    };
  });
  return [...sent, ...reused];
}

/** What each object must be at the end: the bytes it holds and the ETag S3 gave them when they were proved. */
interface ProvedObject {
  decision: FileDecision;
  sent: Digests;
  etag: string | undefined;
}

function provedObjects(decisions: FileDecision[], sentByRel: Map<string, Digests>, etags: Map<string, string>): ProvedObject[] {
  return decisions.map((decision) => ({
    decision,
    sent: sentByRel.get(decision.file.rel) ?? decision.proved?.sent ?? decision.plaintext,
    etag: etags.get(decision.file.rel) ?? (decision.action === 'unchanged' ? decision.proved?.etag : undefined),
  }));
}

/**
 * One listing of the destination holds every object to what was proved: present, the size sent, the ETag S3 gave the
 * proved bytes (at the write, the copy, or the run that proved an unchanged object). Any difference fails the run with
 * exit 3 (after listing them all).
 */
function verifyListed(proved: ProvedObject[], listed: Map<string, ListedObject>, emit: Emit): number {
  const differences: string[] = [];
  for (const { decision, sent, etag } of proved) {
    const path = escapeName(decision.file.path);
    const object = listed.get(decision.key);
    if (!object) differences.push(`File was apparently not uploaded: [${path}]`);
    else if (object.size !== sent.size) differences.push(`File size differs [${path}], expected ${sent.size} bytes but got ${object.size} bytes`);
    else if (etag === undefined) differences.push(`cannot verify [${path}]: no proof of its object was recorded`);
    else if (object.etag !== etag) differences.push(`ETag differs [${path}], expected ${etag} (as proved) but the listing shows ${object.etag}: the object changed during the run`);
  }
  for (const difference of differences.slice(0, 20)) emit({ type: 'warning', message: difference });
  if (differences.length > 0) {
    const n = differences.length;
    throw new OffsiteError(`verification found ${n} ${n === 1 ? 'difference' : 'differences'}; first: ${differences[0]}`, ExitCode.differences);
  }
  return proved.length;
}

function provedIndex(proved: ProvedObject[], plan: S3StorePlan): ProvedIndex {
  const index: ProvedIndex = new Map();
  for (const { decision, sent, etag } of proved) {
    if (etag === undefined) continue;
    index.set(decision.file.rel, {
      size: decision.file.size,
      mtimeMs: decision.file.mtimeMs,
      plaintext: decision.plaintext,
      sent,
      etag,
      algorithm: plan.upload.checksumAlgorithm,
      encryption: plan.encryption.kind,
    });
  }
  return index;
}

/**
 * What interrupted runs left: uploads that can continue are taken over (recorded in this run's ledger first), the
 * rest are aborted; old temp dirs of this session (encrypted copies from a killed run) are removed.
 */
async function settleLeftovers(
  leftovers: Leftover[],
  abandoned: Array<{ key: string; uploadId: string }>,
  toUpload: FileDecision[],
  ctx: S3StoreDeps & { bucket: string; emit: Emit; signal: AbortSignal; plan: S3StorePlan },
): Promise<void> {
  const { ledger, emit } = ctx;
  const byId = new Map(leftovers.map((l) => [l.id, l]));
  const adopted = new Set(toUpload.flatMap((decision) => (decision.resume ? [decision.resume.uploadId] : [])));
  for (const decision of toUpload) {
    if (!decision.resume) continue;
    const old = byId.get(decision.resume.uploadId);
    await ledger.record({ op: 'created', kind: 'multipart-upload', id: decision.resume.uploadId, detail: JSON.stringify(old?.detail ?? {}) });
    emit({ type: 'resource-created', kind: 'multipart-upload', id: decision.resume.uploadId, detail: `resumed: ${decision.resume.parts.size} parts already stored` });
    if (old) await closeLeftover(ctx.stateDir, old, 'adopted', ledger.runId);
    byId.delete(decision.resume.uploadId);
  }
  for (const upload of abandoned) {
    await abortUpload(ctx.s3.control, ctx.bucket, upload, ctx.signal);
    emit({ type: 'resource-released', kind: 'multipart-upload', id: upload.uploadId, action: 'deleted' });
    const old = byId.get(upload.uploadId);
    if (old) await closeLeftover(ctx.stateDir, old, 'aborted', ledger.runId);
    byId.delete(upload.uploadId);
  }
  for (const old of byId.values()) {
    let action = 'adopted'; // a staging area is this run's now
    if (old.kind === 'temp-dir' && basename(old.id).startsWith('offsite-s3-')) {
      await rm(old.id, { recursive: true, force: true });
      emit({ type: 'resource-released', kind: 'temp-dir', id: old.id, action: 'removed' });
      action = 'removed';
    } else if (old.kind === 'multipart-upload' && typeof old.detail.key === 'string') {
      // Not under the staging prefix (straight to its key, or a copy into place), asked for and never answered,
      // or already gone: abort it either way, never one this run takes over.
      const bucket = typeof old.detail.bucket === 'string' ? old.detail.bucket : ctx.bucket;
      const since = typeof old.detail.since === 'string' ? old.detail.since : undefined;
      await abortRecordedUpload(ctx.s3.control, { bucket, key: old.detail.key, id: old.id, ...(since ? { since } : {}) }, { keep: adopted, signal: ctx.signal });
      action = 'aborted';
    } else if (old.kind === 'lock') {
      action = 'removed';
    }
    await closeLeftover(ctx.stateDir, old, action, ledger.runId);
  }
}

/** A run that did not finish keeps its incomplete uploads and staged objects for the next run: say so, once. */
async function reportKept(ledger: RunLedger, emit: Emit, stagingUrl: string, stagingRecorded: boolean): Promise<void> {
  const open = outstanding(await ledger.entries()).filter((e) => e.kind === 'multipart-upload');
  if (open.length === 0 && !stagingRecorded) return;
  const uploads = open.length > 0 ? `${open.length} incomplete multipart ${open.length === 1 ? 'upload' : 'uploads'} and ` : '';
  emit({
    type: 'warning',
    message: `kept for the next run: ${uploads}the staged objects under ${stagingUrl}; run the same command again to resume`,
    advice: { remedy: 'noResume' },
  });
}

/** The object's own metadata plus what restore needs to rebuild the tree (mtime, mode; nothing in Cedar mode). */
function withTreeMetadata<T extends { Metadata: Record<string, string> }>(params: T, tree: Record<string, string>): T {
  return { ...params, Metadata: { ...params.Metadata, ...tree } };
}
