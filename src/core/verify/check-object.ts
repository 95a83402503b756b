import type { S3Client } from '@aws-sdk/client-s3';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Emit } from '../phases.js';
import type { ProgressMeter } from '../progress.js';
import {
  describeEvidence,
  etagParts,
  hashRequest,
  localValue,
  needsPartSizes,
  planEvidence,
  remoteInfo,
  type Evidence,
} from './evidence.js';
import { hashFile } from '../checksums/file-hash.js';
import type { HashResult } from '../checksums/multi-digest.js';
import type { FileVerdict } from './plan.js';
import { ObjectUnreadable, downloadDigest, exactPartSizes, headWithChecksums, partLayout, type PartLayout, type PartSizeState } from './s3-objects.js';
import { errorText } from './walk.js';
import type { ListedObject } from '../s3/remote.js';

export interface ObjectCheckContext {
  s3: S3Client;
  bucket: string;
  prefix: string;
  /** The local directory the relative paths are under. */
  root: string;
  download: boolean;
  forks: number;
  partState: PartSizeState;
  /** The listing of the prefix, by key: single-part objects are proved from it alone (ETag = MD5), no HEAD. */
  listed?: Promise<Map<string, ListedObject>>;
  meter: ProgressMeter;
  emit: Emit;
  signal: AbortSignal;
}

const DOWNLOADED = 'downloaded bytes (SHA-256)';

/** A turn among the `forks` checks that may read files and ask S3 at once. */
export type CheckTurn = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Compares one local file with its object: it exists, has the same size, and every piece of evidence S3 keeps
 * for the content agrees with the local bytes (read once); with --download the object's bytes too. A match is
 * never declared on size alone: with no evidence the file is "unverified". Reading and asking happen in `turn`s;
 * waiting for the listing holds none, so the files are read while it is on its way.
 */
export async function checkObject(path: string, ctx: ObjectCheckContext, turn: CheckTurn): Promise<FileVerdict> {
  const key = `${ctx.prefix}${path}`;
  const local = join(ctx.root, path);
  const base = { path, remote: `s3://${ctx.bucket}/${key}` };
  if (ctx.listed && !ctx.download) {
    const listed = await fromListing(local, key, ctx.listed, ctx, turn);
    if (listed) return { ...base, ...listed };
  }
  return turn(() => checkEvidence(base, key, local, ctx));
}

/** The check by everything a HEAD shows (and the bytes, with --download). */
async function checkEvidence(base: { path: string; remote: string }, key: string, local: string, ctx: ObjectCheckContext): Promise<FileVerdict> {
  const { path } = base;
  let localSize: number;
  try {
    localSize = (await stat(local)).size;
  } catch (error) {
    return { ...base, category: 'unreadable', side: 'local', evidence: [], reason: errorText(error) };
  }

  let head;
  try {
    head = await headWithChecksums(ctx.s3, ctx.bucket, key, ctx.signal);
  } catch (error) {
    if (error instanceof ObjectUnreadable) return { ...base, category: 'unreadable', side: 'remote', size: localSize, evidence: [], reason: error.message };
    throw error;
  }
  if (!head) return { ...base, category: 'missing-remotely', size: localSize, evidence: [] };
  const remote = remoteInfo(key, head);
  const plan = planEvidence(remote);
  for (const note of plan.notes) ctx.emit({ type: 'log', message: `${path}: ${note}` });
  if (!plan.ciphertext && remote.size !== localSize) {
    return { ...base, category: 'differ', size: localSize, evidence: ['size'], reason: `size differs: ${localSize} bytes here, ${remote.size} in S3` };
  }

  let layout: PartLayout | undefined;
  if (needsPartSizes(plan)) {
    layout = await partLayout(ctx.s3, ctx.bucket, key, remote.size, etagParts(remote.etag), ctx.partState, ctx.signal).catch(passUnreadable);
    if (!layout) {
      plan.items = plan.items.filter((item) => item.kind !== 'composite' && item.kind !== 'multipart-etag');
      ctx.emit({ type: 'log', message: `${path}: S3 did not report the part sizes of ${key}; its multipart ETag cannot be recomputed` });
    }
  }
  const download = ctx.download && !plan.ciphertext;
  if (ctx.download && plan.ciphertext) ctx.emit({ type: 'warning', message: `${path}: the object holds ciphertext; downloading it cannot compare it with this file` });
  if (plan.items.length === 0 && !download) {
    return {
      ...base,
      category: 'unverified',
      size: localSize,
      evidence: [],
      reason: 'S3 keeps no checksum that vouches for this content (no full-object checksum or x-amz-meta-sha256; the ETag is not an MD5)',
    };
  }

  let hashed: HashResult;
  try {
    hashed = await hashFile(local, hashRequest(plan, layout?.sizes, download), { signal: ctx.signal, onBytes: (n) => ctx.meter.add(n) });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return { ...base, category: 'unreadable', side: 'local', size: localSize, evidence: [], reason: errorText(error) };
  }
  if (!plan.ciphertext && hashed.size !== remote.size) {
    return { ...base, category: 'differ', size: hashed.size, evidence: ['size'], reason: `size differs: ${hashed.size} bytes read here, ${remote.size} in S3 (the file changed while it was read?)` };
  }

  const matched: string[] = [];
  const differing: string[] = [];
  const reasons: string[] = [];
  for (const item of plan.items) {
    let outcome = compare(item, hashed, layout);
    // The part sizes were inferred from part 1; before calling it a difference, ask S3 for every part.
    if (!outcome.same && isPartBased(item) && layout && !layout.exact) {
      const exact = await exactPartSizes(ctx.s3, ctx.bucket, key, etagParts(remote.etag), ctx.forks, ctx.signal).catch(passUnreadable);
      if (exact) {
        layout = exact;
        try {
          hashed = await hashFile(local, hashRequest({ ...plan, items: [item] }, exact.sizes, false), { signal: ctx.signal });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          return { ...base, category: 'unreadable', side: 'local', size: localSize, evidence: matched, reason: errorText(error) };
        }
        outcome = compare(item, hashed, layout);
      }
    }
    if (outcome.same) matched.push(outcome.label);
    else {
      differing.push(outcome.label);
      reasons.push(`${outcome.label} differs: ${outcome.local ?? 'not computed'} here, ${outcome.remote} in S3`);
    }
  }

  if (download) {
    try {
      const fetched = await downloadDigest(ctx.s3, ctx.bucket, key, (n) => ctx.meter.add(n), ctx.signal);
      const mine = hashed.whole.SHA256?.toString('hex');
      if (fetched.size === hashed.size && fetched.sha256 === mine) matched.push(DOWNLOADED);
      else {
        differing.push(DOWNLOADED);
        reasons.push(`${DOWNLOADED} differ: ${mine} here, ${fetched.sha256} (${fetched.size} bytes) from S3`);
      }
    } catch (error) {
      if (error instanceof ObjectUnreadable) return { ...base, category: 'unreadable', side: 'remote', size: localSize, evidence: matched, reason: error.message };
      throw error;
    }
  }

  if (differing.length > 0) return { ...base, category: 'differ', size: hashed.size, evidence: [...differing, ...matched], reason: reasons.join('; ') };
  return { ...base, category: 'match', size: hashed.size, evidence: matched };
}

const LISTED_MD5 = 'ETag (MD5, single part)';

/**
 * The verdict the listing alone can give: missing, or a match when the listed ETag of a single-part object is the MD5
 * of the local bytes (S3 computed it; no other object's ETag can equal it by chance). Anything else — a multipart
 * ETag, a mismatch, which may be an SSE-KMS ETag or our ciphertext — is left to the HEAD and all the evidence.
 */
async function fromListing(
  local: string,
  key: string,
  listing: Promise<Map<string, ListedObject>>,
  ctx: ObjectCheckContext,
  turn: CheckTurn,
): Promise<Omit<FileVerdict, 'path' | 'remote'> | undefined> {
  let counted = 0;
  const read = await turn(async (): Promise<{ size: number; md5?: string } | { unreadable: string; size?: number }> => {
    let size: number;
    try {
      size = (await stat(local)).size;
    } catch (error) {
      return { unreadable: errorText(error) };
    }
    try {
      const hashed = await hashFile(local, { whole: ['MD5'] }, { signal: ctx.signal, onBytes: (n) => (ctx.meter.add(n), (counted += n)) });
      return hashed.size === size ? { size, md5: hashed.whole.MD5?.toString('hex') } : { size };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return { unreadable: errorText(error), size };
    }
  });
  if ('unreadable' in read) return { category: 'unreadable', side: 'local', ...(read.size !== undefined ? { size: read.size } : {}), evidence: [], reason: read.unreadable };
  const object = (await listing).get(key);
  if (!object) return { category: 'missing-remotely', size: read.size, evidence: [] };
  if (object.size === read.size && /^[0-9a-f]{32}$/.test(object.etag) && read.md5 === object.etag) return { category: 'match', size: read.size, evidence: [LISTED_MD5] };
  ctx.meter.update(ctx.meter.done - counted); // read again below with everything the HEAD asks for
  return undefined;
}

function isPartBased(item: Evidence): boolean {
  return item.kind === 'composite' || item.kind === 'multipart-etag';
}

function compare(item: Evidence, hashed: HashResult, layout: PartLayout | undefined): { same: boolean; label: string; local?: string; remote: string } {
  const label = describeEvidence(item, layout?.sizes);
  const mine = localValue(item, hashed);
  const remoteValue = item.kind === 'multipart-etag' ? item.value : item.kind === 'composite' ? `${item.value}-${item.parts}` : item.value;
  const local = item.kind === 'composite' && mine !== undefined ? `${mine}-${hashed.parts[item.algorithm]?.length ?? 0}` : mine;
  return { same: local !== undefined && local === remoteValue, label, ...(local !== undefined ? { local } : {}), remote: remoteValue };
}

/** A per-object refusal while looking up parts only removes that evidence; anything else stops the run. */
function passUnreadable(error: unknown): undefined {
  if (error instanceof ObjectUnreadable) return undefined;
  throw error;
}

