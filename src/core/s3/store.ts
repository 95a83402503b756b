import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import pLimit from 'p-limit';
import type { S3Clients } from '../../aws/s3.js';
import { OffsiteError, UsageError, describeError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { RunLedger } from '../ledger/ledger.js';
import { outstanding } from '../ledger/ledger.js';
import { phaseRunner, skipPhase, type Emit } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { formatBytes } from '../util/format.js';
import { digestFile, type Digests } from './digests.js';
import { encryptFile, passphraseWarning, stopGpgAgent } from './encryption.js';
import { closeLeftover, sessionLeftovers, type Leftover } from './leftovers.js';
import { scanSource, type LocalFile } from './local-files.js';
import { abortUpload, listIncompleteUploads } from './multipart-api.js';
import type { S3StorePlan, S3StoreResult, SizeLimit } from './plan.js';
import { promoteAll, type PromoteItem } from './promote.js';
import { fileTreeMetadata, storeTreeManifest } from '../restore/s3-tree-manifest.js';
import { checkedHead, deleteKeys, expectedFromStored, listObjects, md5IfSinglePart, objectDifference, objectMetadata, type ExpectedObject } from './remote.js';
import { lockSession, sessionId, stagingPrefix } from './session.js';
import { checkBucket, surveyDestination, type FileDecision } from './survey.js';
import { s3Url } from './url.js';
import { uploadAll, type UploadItem } from './uploader.js';

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
 *   scan → hash (SHA-256, MD5, CRC) → compare with S3 → [encrypt] → upload to a staging prefix, prove each object
 *   → copy into place → verify every object (size + checksum) → remove stale objects (mirror) and the staged copies.
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

  const scan = await phase('scan', `Scan ${plan.source}`, () => scanSource(plan.source, { skipIndicators: plan.skipIndicators }, signal));
  if (scan.unreadable.length > 0) {
    const n = scan.unreadable.length;
    throw new UsageError(`${plan.source}: ${n} ${n === 1 ? 'entry' : 'entries'} cannot be read (first: ${scan.unreadable[0]})`);
  }
  if (scan.skipped.length > 0) {
    const n = scan.skipped.length;
    emit({ type: 'warning', message: `${n} ${n === 1 ? 'entry is not a regular file and is' : 'entries are not regular files and are'} not stored (first: ${scan.skipped[0]})` });
  }
  const total = scan.files.reduce((sum, f) => sum + f.size, 0);
  emit({ type: 'log', message: `${plan.source}: ${scan.files.length} files, ${formatBytes(total)}` });
  const tooBig = sizeLimitError(total, plan.sizeLimit);
  if (tooBig) throw tooBig;
  const longKey = scan.files.find((f) => Buffer.byteLength(`${prefix}${f.rel}`) > 1024);
  if (longKey) throw new UsageError(`${longKey.path}: its S3 key would be longer than S3's 1,024 bytes`);
  const loosePassphrase = await passphraseWarning(plan.encryption);
  if (loosePassphrase) emit({ type: 'warning', message: loosePassphrase });

  const hashed = await phase('hash', `Checksum ${scan.files.length} files (SHA-256, ${algorithm})`, async () => {
    const meter = new ProgressMeter('hash', emit, total);
    const out: Array<{ file: LocalFile; plaintext: Digests }> = [];
    for (const file of scan.files) out.push({ file, plaintext: await digestFile(file.path, algorithm, (n) => meter.add(n), signal) });
    meter.finish();
    return out;
  });

  const session = sessionId(plan.source, plan.destination);
  const staging = stagingPrefix(session);
  let lockRelease: (() => Promise<void>) | undefined;
  let tempDir: string | undefined;
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
    const survey = await phase('check', `Compare with ${destination}`, () =>
      surveyDestination(plan, hashed, { s3, session, leftovers, concurrency: Math.max(4, plan.upload.concurrency), signal }),
    );
    const { decisions } = survey;
    const toUpload = decisions.filter((d) => d.action === 'upload');
    const staged = decisions.filter((d) => d.action === 'staged');
    const unchanged = decisions.filter((d) => d.action === 'unchanged').length;
    const toRemove = plan.mirror ? survey.stale : [];
    const resuming = toUpload.filter((d) => d.resume).length;
    emit({
      type: 'log',
      message: `${toUpload.length} to send${resuming ? ` (${resuming} resumed)` : ''}, ${staged.length} already staged, ${unchanged} unchanged, ${toRemove.length} to remove`,
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
      skipped: scan.skipped.length,
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

    if (toUpload.length > 0 || staged.length > 0) {
      await ledger.record({ op: 'created', kind: 'staging-area', id: `s3://${bucket}/${staging}`, detail: JSON.stringify({ session, bucket }) });
      emit({ type: 'resource-created', kind: 'staging-area', id: `s3://${bucket}/${staging}` });
      stagingRecorded = true;
    }

    // Encrypted copies go to a private directory that only this run uses, removed in `finally`.
    let items: UploadItem[] = [];
    if (plan.encryption.kind !== 'none' && toUpload.length > 0) {
      tempDir = await mkdtemp(join(plan.workDir, 'offsite-s3-'));
      await chmod(tempDir, 0o700);
      await ledger.record({ op: 'created', kind: 'temp-dir', id: tempDir, detail: JSON.stringify({ session }) });
      emit({ type: 'resource-created', kind: 'temp-dir', id: tempDir, detail: 'encrypted copies' });
      const dir = tempDir;
      items = await phase('encrypt', `Encrypt ${toUpload.length} files (${plan.encryption.kind === 'gpg' ? 'gpg, AES256' : 'encrypt command'})`, () =>
        encryptAll(toUpload, plan, dir, emit, signal),
      );
    } else {
      items = toUpload.map((d) => uploadItem(d, d.file.path, d.plaintext, plan));
    }
    if (plan.encryption.kind !== 'none' && toUpload.length === 0) skipPhase(emit, 'encrypt', 'Encrypt', 'nothing new to encrypt');

    let stats = { uploaded: 0, uploadedBytes: 0, resumedParts: 0 };
    if (items.length > 0) {
      const sendBytes = items.reduce((sum, item) => sum + item.sent.size, 0);
      stats = await phase('upload', `Upload ${items.length} files (${formatBytes(sendBytes)}) to the staging area`, async () => {
        const meter = new ProgressMeter('upload', emit, sendBytes);
        const done = await uploadAll(items, { s3: deps.s3, bucket, session, settings: plan.upload, encryption: plan.encryption.kind, ledger, emit, meter, signal });
        meter.finish();
        return done;
      });
    } else skipPhase(emit, 'upload', 'Upload', unchanged === decisions.length ? 'nothing changed' : 'everything new was already staged');
    if (tempDir) await removeTempDir(tempDir, plan, deps, emit).then(() => (tempDir = undefined));

    const promotions = promoteItems(items, staged, prefix);
    if (promotions.length > 0) {
      const promoteBytes = promotions.reduce((sum, p) => sum + p.size, 0);
      await phase('promote', `Copy ${promotions.length} proved objects into place under ${destination}`, async () => {
        const meter = new ProgressMeter('promote', emit, promoteBytes);
        await promoteAll(promotions, { s3, bucket, session, settings: plan.upload, ledger, emit, meter, signal });
        meter.finish();
      });
    } else skipPhase(emit, 'promote', 'Copy into place', 'nothing to replace');

    const sentByRel = new Map(items.map((item) => [item.rel, item.sent]));
    const verified = await phase('verify', `Verify ${decisions.length} objects under ${destination} (size, ${algorithm}, SHA-256)`, () =>
      verifyStored(decisions, sentByRel, plan, { s3, bucket, emit, signal }),
    );

    const removed = await phase('tidy', 'Remove staged copies' + (toRemove.length ? ` and ${toRemove.length} objects no longer in the source` : ''), async () => {
      // Only now, with every object proved, does anything leave the destination.
      await deleteKeys(s3, bucket, toRemove, signal);
      await deleteKeys(s3, bucket, [...(await listObjects(s3, bucket, staging, signal)).keys()], signal);
      for (const upload of await listIncompleteUploads(s3, bucket, staging, signal)) await abortUpload(s3, bucket, upload, signal);
      if (stagingRecorded) {
        await ledger.record({ op: 'released', kind: 'staging-area', id: `s3://${bucket}/${staging}`, action: 'deleted' });
        emit({ type: 'resource-released', kind: 'staging-area', id: `s3://${bucket}/${staging}`, action: 'deleted' });
      }
      return toRemove.length;
    });
    await storeTreeManifest(s3, plan, signal);
    completed = true;
    return result({ ...stats, verified, removed, elapsedMs: Date.now() - started });
  } finally {
    if (tempDir) await removeTempDir(tempDir, plan, deps, emit).catch((error: unknown) => emit({ type: 'warning', message: `could not remove ${tempDir}: ${describeError(error)}` }));
    if (!completed && !plan.dryRun) await reportKept(ledger, emit, `s3://${bucket}/${staging}`, stagingRecorded);
    await lockRelease?.();
  }
}

function uploadItem(decision: FileDecision, path: string, sent: Digests, plan: S3StorePlan): UploadItem {
  return {
    displayPath: decision.file.path,
    rel: decision.file.rel,
    key: decision.stagingKey,
    path,
    sent,
    plaintext: decision.plaintext,
    metadata: { ...objectMetadata(decision.plaintext, sent, plan.encryption.kind, plan.upload.checksumAlgorithm, plan.createdBy), ...fileTreeMetadata(decision.file.path, plan.skipIndicators) },
    ...(decision.resume ? { resume: decision.resume } : {}),
  };
}

async function encryptAll(toUpload: FileDecision[], plan: S3StorePlan, tempDir: string, emit: Emit, signal: AbortSignal): Promise<UploadItem[]> {
  const gnupgHome = join(tempDir, 'gnupg');
  await mkdir(gnupgHome, { mode: 0o700 });
  const meter = new ProgressMeter('encrypt', emit, toUpload.reduce((sum, d) => sum + d.file.size, 0));
  const items: UploadItem[] = [];
  for (const decision of toUpload) {
    const output = join(tempDir, 'data', decision.file.rel);
    await encryptFile(plan.encryption, decision.file, output, gnupgHome, signal);
    const sent = await digestFile(output, plan.upload.checksumAlgorithm, () => undefined, signal);
    items.push(uploadItem(decision, output, sent, plan));
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

function promoteItems(items: UploadItem[], staged: FileDecision[], prefix: string): PromoteItem[] {
  const sent = items.map((item) => ({
    displayPath: item.displayPath,
    stagingKey: item.key,
    finalKey: `${prefix}${item.rel}`,
    size: item.sent.size,
    checksum: item.sent.checksum,
    metadata: item.metadata,
  }));
  const reused = staged.map((decision) => ({
    displayPath: decision.file.path,
    stagingKey: decision.stagingKey,
    finalKey: decision.key,
    size: decision.remote!.size,
    checksum: decision.remote!.checksum!.value,
    metadata: decision.remote!.metadata,
  }));
  return [...sent, ...reused];
}

/**
 * HEAD every object the source should have, with checksums, and hold it to what we sent or found: present, same size,
 * same full-object checksum, same SHA-256 metadata. Any difference fails the run with exit 3 (after listing them all).
 */
async function verifyStored(
  decisions: FileDecision[],
  sentByRel: Map<string, Digests>,
  plan: S3StorePlan,
  ctx: { s3: S3Clients['control']; bucket: string; emit: Emit; signal: AbortSignal },
): Promise<number> {
  const algorithm = plan.upload.checksumAlgorithm;
  const encryption = plan.encryption.kind;
  const limit = pLimit(Math.max(4, plan.upload.concurrency));
  const differences = (
    await Promise.all(
      decisions.map((decision) =>
        limit(async () => {
          const remote = await checkedHead(ctx.s3, ctx.bucket, decision.key, ctx.signal);
          const sent = sentByRel.get(decision.file.rel);
          let expected: ExpectedObject | undefined;
          if (sent) expected = { path: decision.file.path, size: sent.size, checksum: sent.checksum, ...md5IfSinglePart(sent.size, sent.md5), sha256: decision.plaintext.sha256, encryption };
          else if (decision.remote) expected = expectedFromStored(decision.file.path, decision.plaintext, decision.remote, encryption, algorithm);
          if (!expected) return `cannot verify [${decision.file.path}]: its object carries no checksum record`;
          return objectDifference(expected, remote, algorithm);
        }),
      ),
    )
  ).filter((d): d is string => d !== undefined);
  for (const difference of differences.slice(0, 20)) ctx.emit({ type: 'warning', message: difference });
  if (differences.length > 0) {
    const n = differences.length;
    throw new OffsiteError(`verification found ${n} ${n === 1 ? 'difference' : 'differences'}; first: ${differences[0]}`, ExitCode.differences);
  }
  return decisions.length;
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
      // Not under the staging prefix (an interrupted copy into place) or already gone: abort it either way.
      await abortUpload(ctx.s3.control, typeof old.detail.bucket === 'string' ? old.detail.bucket : ctx.bucket, { key: old.detail.key, uploadId: old.id }, ctx.signal);
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
    message: `kept for the next run: ${uploads}the staged objects under ${stagingUrl}; run the same command again to resume, or add --no-resume to discard them`,
  });
}
