import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { chmod, lutimes, mkdir, mkdtemp, rename, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { s3Call } from '../../aws/s3.js';
import { OffsiteError, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { phaseRunner, type Emit } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { listObjects } from '../s3/remote.js';
import { runForStatus } from '../host/command.js';
import { stopGpgAgent } from '../s3/encryption.js';
import { s3Url, type S3Location } from '../s3/url.js';
import { describeEvidence, hashRequest, localValue, needsPartSizes, planEvidence, remoteInfo, uniformParts, type EvidencePlan } from '../verify/evidence.js';
import { hashFile } from '../checksums/file-hash.js';
import type { RestoreResult, RestoreTargetOptions } from './plan.js';
import { TREE_MANIFEST_KEY, parseMtime, parseTreeManifest, type TreeEntry, type TreeManifest } from './s3-tree-manifest.js';
import { checkTarget, countTree, openStaging } from './target.js';

export interface S3RestorePlan extends RestoreTargetOptions {
  location: S3Location;
  /** gpg-encrypted objects: the file holding the passphrase (gpg reads it; it is never on a command line). */
  passphraseFile?: string;
  gpgPath?: string;
  /** Objects downloaded at once. */
  concurrency: number;
}

/** A key that would land outside TARGET (`..`, an empty or `.` segment) is never written. */
export const unsafeKey = (rel: string): boolean => rel.split('/').some((part) => part === '' || part === '.' || part === '..');

/** Keys below the prefix that are offsite's own, not files of the backup. */
const isBookkeeping = (rel: string): boolean => rel.startsWith('.offsite/') || rel.startsWith('.offsite-staging/') || rel.endsWith('/');

export const includes = (include: string[]) => (rel: string): boolean => include.length === 0 || include.some((p) => rel === p || rel.startsWith(`${p}/`));

/**
 * Restores what `offsite s3` stored under a prefix: every object is downloaded into a staging directory beside
 * TARGET (temp name, then rename), decrypted if it holds offsite's gpg ciphertext, and proved against the
 * strongest evidence S3 keeps for it before anything moves into TARGET. The tree manifest, when there is one,
 * brings back modes, mtimes, symlinks and empty directories; otherwise the per-object mtime/mode metadata does.
 */
export async function runS3Restore(plan: S3RestorePlan, deps: { s3: S3Client }, control: RunControl): Promise<RestoreResult> {
  const { signal, emit } = control;
  const { s3 } = deps;
  const { bucket, prefix } = plan.location;
  const started = Date.now();
  const phase = phaseRunner(emit, signal);
  const source = s3Url(plan.location);
  emit({ type: 'run-start', runId: `restore-${started}`, command: `restore ${source}` });
  await checkTarget(plan.target, plan.overwrite);

  const { files, manifest } = await phase('list', `List ${source}`, async () => {
    const listed = await listObjects(s3, bucket, prefix, signal);
    const found = [...listed].map(([key, object]) => ({ rel: key.slice(prefix.length), key, size: object.size })).filter((o) => !isBookkeeping(o.rel));
    return { files: found, manifest: await readManifest(s3, plan.location, listed.has(`${prefix}${TREE_MANIFEST_KEY}`), signal) };
  });
  const unsafe = files.filter((f) => unsafeKey(f.rel));
  if (unsafe.length > 0) emit({ type: 'warning', message: `${unsafe.length} key(s) under ${source} would land outside the target and are skipped (first: ${unsafe[0]!.key})` });
  if (files.length === 0 && !manifest) throw new UsageError(`${source}: no objects there to restore`);
  if (!manifest) emit({ type: 'warning', message: `${source} has no ${TREE_MANIFEST_KEY}: restoring files only (modes and mtimes from object metadata where present)` });
  const wanted = includes(plan.include);
  const chosen = files.filter((f) => wanted(f.rel) && !unsafeKey(f.rel));
  const extras = (manifest?.entries ?? []).filter((e) => e.type !== 'file' && wanted(e.path));
  const skipped = files.length - chosen.length + (manifest?.entries ?? []).filter((e) => e.type !== 'file').length - extras.length;
  if (plan.include.length > 0 && chosen.length === 0 && extras.length === 0) throw new UsageError(`nothing under ${source} matches ${plan.include.join(', ')}`, { input: 'include' });
  if (plan.dryRun) {
    const entries = [...chosen.map((f) => f.rel), ...extras.map((e) => e.path)].sort();
    return { source, target: plan.target, method: 's3', dryRun: true, files: entries.length, bytes: chosen.reduce((s, f) => s + f.size, 0), verified: 0, skipped, proof: 'listing only', elapsedMs: Date.now() - started, entries };
  }

  const staging = await openStaging(plan.target, emit);
  const gnupgHome = await mkdtemp(join(tmpdir(), 'offsite-gnupg-'));
  const byPath = new Map((manifest?.entries ?? []).map((e) => [e.path, e]));
  try {
    const meter = new ProgressMeter('download', emit, chosen.reduce((s, f) => s + f.size, 0));
    const outcomes = await phase('download', `Download and prove ${chosen.length} objects`, async () => {
      // The first failure stops the rest, and every download has ended before the staging directory goes.
      const limit = pLimit(plan.concurrency);
      const stop = new AbortController();
      const onAbort = (): void => stop.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let firstError: unknown;
      const settled = await Promise.allSettled(
        chosen.map((f) =>
          limit(async () => {
            stop.signal.throwIfAborted();
            try {
              return await restoreObject(f, { plan, s3, staging: staging.dir, gnupgHome, meter, emit, signal: stop.signal, entry: byPath.get(f.rel) });
            } catch (error) {
              firstError ??= error;
              stop.abort(error);
              throw error;
            }
          }),
        ),
      );
      signal.removeEventListener('abort', onAbort);
      if (firstError !== undefined) throw signal.aborted ? signal.reason : firstError;
      meter.finish();
      return settled.map((r) => (r as PromiseFulfilledResult<ObjectOutcome>).value);
    });
    const differ = outcomes.filter((o) => o.difference);
    if (differ.length > 0) {
      throw new OffsiteError(`${differ.length} object(s) under ${source} do not match their evidence, first: ${differ[0]!.difference}; nothing was written into the target`, ExitCode.differences);
    }
    const unproved = outcomes.filter((o) => !o.proof);
    if (unproved.length > 0) emit({ type: 'warning', message: `${unproved.length} object(s) had nothing in S3 to prove them by (first: ${unproved[0]!.rel}); restored unproved` });
    await phase('tree', 'Recreate directories, symlinks, modes and mtimes', () => applyTree(staging.dir, extras));
    const counts = await countTree(staging.dir);
    await phase('promote', `Move the restored tree into ${plan.target}`, () => staging.promote());
    const evidence = [...new Set(outcomes.flatMap((o) => (o.proof ? [o.proof] : [])))];
    return {
      source,
      target: plan.target,
      method: 's3',
      dryRun: false,
      files: counts.files,
      bytes: counts.bytes,
      verified: outcomes.length - unproved.length,
      skipped,
      proof: evidence.length > 0 ? `each object against ${evidence.join(' / ')}` : 'none available',
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    await staging.discard().catch(() => undefined);
    throw error;
  } finally {
    if (plan.gpgPath && plan.passphraseFile) await stopGpgAgent({ kind: 'gpg', gpgPath: plan.gpgPath, passphraseFile: plan.passphraseFile }, gnupgHome);
    await rm(gnupgHome, { recursive: true, force: true });
  }
}

async function readManifest(s3: S3Client, location: S3Location, present: boolean, signal: AbortSignal): Promise<TreeManifest | undefined> {
  if (!present) return undefined;
  const key = `${location.prefix}${TREE_MANIFEST_KEY}`;
  const text = await s3Call(`reading s3://${location.bucket}/${key}`, async () => {
    const got = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), { abortSignal: signal });
    return got.Body!.transformToString('utf8');
  });
  return parseTreeManifest(text, `s3://${location.bucket}/${key}`);
}

interface ObjectContext {
  plan: S3RestorePlan;
  s3: S3Client;
  staging: string;
  gnupgHome: string;
  meter: ProgressMeter;
  emit: Emit;
  signal: AbortSignal;
  entry: TreeEntry | undefined;
}

interface ObjectOutcome {
  rel: string;
  /** The evidence that proved it, in words; undefined: nothing could. */
  proof?: string;
  difference?: string;
}

/** One object: download under a temp name, decrypt, prove, rename into place, then its mode and mtime. */
async function restoreObject(file: { rel: string; key: string; size: number }, ctx: ObjectContext): Promise<ObjectOutcome> {
  const { plan, s3, signal } = ctx;
  const { bucket } = plan.location;
  const where = `s3://${bucket}/${file.key}`;
  const head = await s3Call(`reading ${where}`, () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: file.key, ChecksumMode: 'ENABLED' }), { abortSignal: signal }));
  const remote = remoteInfo(file.key, head);
  const evidence = planEvidence(remote);
  const partSizes = needsPartSizes(evidence) ? await firstPartSizes(s3, bucket, file.key, remote.size, evidence, signal) : undefined;
  const final = join(ctx.staging, file.rel);
  await mkdir(dirname(final), { recursive: true });
  const temp = join(dirname(final), `.${basename(final).slice(0, 200)}.offsite-part`);
  await s3Call(`downloading ${where}`, async () => {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: file.key }), { abortSignal: signal });
    const body = got.Body as Readable;
    body.on('data', (chunk: Buffer) => ctx.meter.add(chunk.length));
    await pipeline(body, createWriteStream(temp, { mode: 0o600 }), { signal });
  });
  let plain = temp;
  if (evidence.ciphertext) {
    if (remote.clientEncryption !== 'gpg') throw new OffsiteError(`${where} was encrypted by an encrypt command (${remote.clientEncryption}); offsite cannot decrypt it`);
    if (!plan.passphraseFile || !plan.gpgPath) throw new UsageError(`${where} is gpg-encrypted`, { remedy: 'passphraseFile' });
    plain = `${temp}.plain`;
    const outcome = await runForStatus(
      [plan.gpgPath, '--homedir', ctx.gnupgHome, '--batch', '--yes', '--no-tty', '--quiet', '--pinentry-mode', 'loopback', '--passphrase-file', plan.passphraseFile, '--decrypt', '--output', plain, temp],
      signal,
    );
    await rm(temp, { force: true });
    if (outcome.code !== 0) throw new OffsiteError(`cannot decrypt ${where}: ${outcome.lastError || `gpg exited ${outcome.code}`}`);
  }
  const hashed = await hashFile(plain, hashRequest(evidence, partSizes, false), { signal });
  let proof: string | undefined;
  for (const item of evidence.items) {
    const mine = localValue(item, hashed);
    if (mine === undefined) continue;
    if (mine !== item.value) {
      await rm(plain, { force: true });
      return { rel: file.rel, difference: `${file.rel}: ${describeEvidence(item, partSizes)} is ${item.value} in S3, ${mine} for the downloaded bytes` };
    }
    proof ??= describeEvidence(item, partSizes);
  }
  await rename(plain, final);
  await applyAttributes(final, ctx.entry ?? fromMetadata(remote.metadata));
  return { rel: file.rel, ...(proof ? { proof } : {}) };
}

/** Multipart evidence needs the part sizes: the first part's size (HEAD with PartNumber 1) and the rule that all but the last are equal. */
async function firstPartSizes(s3: S3Client, bucket: string, key: string, size: number, evidence: EvidencePlan, signal: AbortSignal): Promise<number[] | undefined> {
  const parts = evidence.items.find((i) => i.kind === 'composite' || i.kind === 'multipart-etag');
  if (!parts || !('parts' in parts)) return undefined;
  const first = await s3Call(`reading part 1 of s3://${bucket}/${key}`, () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: 1 }), { abortSignal: signal }));
  return uniformParts(size, parts.parts, first.ContentLength ?? 0);
}

function fromMetadata(metadata: Record<string, string>): Pick<TreeEntry, 'mode' | 'mtime'> | undefined {
  if (!metadata.mode && !metadata.mtime) return undefined;
  return { mode: metadata.mode ?? '', mtime: metadata.mtime ?? '' };
}

async function applyAttributes(path: string, entry: Pick<TreeEntry, 'mode' | 'mtime'> | undefined, link = false): Promise<void> {
  if (!entry) return;
  if (!link && /^[0-7]{1,4}$/.test(entry.mode)) await chmod(path, parseInt(entry.mode, 8));
  const time = parseMtime(entry.mtime);
  if (time) {
    const when = time.seconds + time.nanoseconds / 1e9;
    await (link ? lutimes(path, when, when) : utimes(path, when, when));
  }
}

/** Directories (empty ones too) and symlinks from the manifest; then directory modes and times, deepest first (writing into a directory changes its mtime). */
async function applyTree(root: string, extras: TreeEntry[]): Promise<void> {
  const dirs = extras.filter((e) => e.type === 'dir');
  for (const dir of dirs) await mkdir(join(root, dir.path), { recursive: true });
  for (const link of extras.filter((e) => e.type === 'symlink')) {
    await mkdir(dirname(join(root, link.path)), { recursive: true });
    await symlink(link.target ?? '', join(root, link.path));
    await applyAttributes(join(root, link.path), link, true);
  }
  for (const dir of dirs.sort((a, b) => b.path.split('/').length - a.path.split('/').length)) await applyAttributes(join(root, dir.path), dir);
}
