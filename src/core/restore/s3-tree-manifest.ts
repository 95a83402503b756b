import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { lstatSync, type BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { s3Call } from '../../aws/s3.js';
import { OffsiteError } from '../../errors.js';
import { decodeUtf8 } from '../../util/escape-name.js';
import { walkTree } from '../host/tree-walk.js';
import type { S3StorePlan } from '../s3/plan.js';
import { sseParams } from '../s3/s3-params.js';

/**
 * What S3 cannot hold natively, written by `offsite s3` so a restore brings back the tree and not only bytes:
 * per object, user metadata `mtime` (rclone's key and format: seconds since the epoch with a fraction) and `mode`
 * (octal permission bits); per run, one manifest object listing directories (empty ones too), symlinks and
 * files with their mode and mtime. Plain JSON, readable by hand. Cedar's layout is left exactly as Cedar made it.
 */
export const TREE_MANIFEST_KEY = '.offsite/tree.json';

export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits, octal, four digits ("0644"). */
  mode: string;
  /** Seconds since the epoch with nanoseconds, as rclone writes it. */
  mtime: string;
  target?: string;
  size?: number;
}

export interface TreeManifest {
  version: 1;
  createdBy: 'offsite';
  time: string;
  entries: TreeEntry[];
}

/** "1700000000.123456789" from a bigint nanosecond timestamp. */
export function rcloneMtime(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}`;
}

/** Parses rclone's mtime into [seconds, nanoseconds]; undefined when it is not one. */
export function parseMtime(text: string | undefined): { seconds: number; nanoseconds: number } | undefined {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text ?? '');
  if (!m) return undefined;
  return { seconds: Number(m[1]), nanoseconds: Number((m[2] ?? '').padEnd(9, '0')) };
}

export function octalMode(mode: number | bigint): string {
  return (Number(mode) & 0o7777).toString(8).padStart(4, '0');
}

/** The user metadata a stored file carries (x-amz-meta-mtime, x-amz-meta-mode); none in Cedar mode. */
export function fileTreeMetadata(path: string, cedar: boolean): Record<string, string> {
  if (cedar) return {};
  const info = lstatSync(path, { bigint: true });
  return { mtime: rcloneMtime(info.mtimeNs), mode: octalMode(info.mode) };
}

/** Walks the source: every directory, symlink and regular file (what S3 stores), sorted, root excluded. */
export async function buildTreeManifest(root: string, now = new Date()): Promise<TreeManifest> {
  const entries: TreeEntry[] = [];
  await walkTree(
    root,
    async (entry) => {
      // A name that is not UTF-8 cannot be an S3 key: the store skipped it (with a warning), and so does the manifest.
      if (decodeUtf8(entry.name) === undefined) return false;
      if (entry.statError) throw entry.statError;
      const info = entry.stats as BigIntStats;
      const child = entry.relText;
      const base = { path: child, mode: octalMode(info.mode), mtime: rcloneMtime(info.mtimeNs) };
      if (info.isDirectory()) entries.push({ ...base, type: 'dir' });
      else if (info.isSymbolicLink()) entries.push({ ...base, type: 'symlink', target: await readlink(join(root, child)) });
      else if (info.isFile()) entries.push({ ...base, type: 'file', size: Number(info.size) });
    },
    { stat: 'lstat', bigint: true },
  );
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { version: 1, createdBy: 'offsite', time: now.toISOString(), entries };
}

/** The manifest's key is offsite's own: not a file of the backup, never "stale". */
export const isTreeManifest = (key: string, prefix: string): boolean => key === `${prefix}${TREE_MANIFEST_KEY}`;

/**
 * Stores the manifest under `<prefix>.offsite/tree.json` once every object is proved, with the run's server-side
 * encryption and storage class; not in Cedar mode (skipIndicators), whose layout must stay Cedar's. A re-run whose
 * tree is the same as the one last stored from here (its digest kept beside the S3 index in `stateDir`) sends
 * nothing, so an unchanged tree still costs no request.
 */
export async function storeTreeManifest(
  s3: S3Client,
  plan: Pick<S3StorePlan, 'destination' | 'source' | 'skipIndicators' | 'upload'>,
  state: { stateDir: string; session: string },
  signal?: AbortSignal,
): Promise<void> {
  if (plan.skipIndicators) return;
  const { bucket, prefix } = plan.destination;
  const manifest = await buildTreeManifest(plan.source);
  const digest = createHash('sha256').update(JSON.stringify(manifest.entries)).digest('hex');
  const digestFile = join(state.stateDir, 's3-index', `${state.session}.tree-sha256`);
  if ((await readFile(digestFile, 'utf8').catch(() => '')) === digest) return;
  const key = `${prefix}${TREE_MANIFEST_KEY}`;
  await s3Call(`writing s3://${bucket}/${key}`, () =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(manifest, null, 1),
        ContentType: 'application/json',
        ...sseParams(plan.upload.sse),
        ...(plan.upload.storageClass ? { StorageClass: plan.upload.storageClass as never } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    ),
  );
  await mkdir(dirname(digestFile), { recursive: true });
  await writeFile(digestFile, digest);
}

/** Reads and checks a manifest's shape; anything else is one clear line. */
export function parseTreeManifest(text: string, where: string): TreeManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OffsiteError(`${where} is not JSON`);
  }
  const m = parsed as Partial<TreeManifest>;
  if (m.version !== 1 || m.createdBy !== 'offsite' || !Array.isArray(m.entries)) throw new OffsiteError(`${where} is not an offsite tree manifest (version 1)`);
  for (const e of m.entries) {
    if (typeof e?.path !== 'string' || !['file', 'dir', 'symlink'].includes(e.type) || e.path.split('/').includes('..')) {
      throw new OffsiteError(`${where} has a malformed entry: ${JSON.stringify(e).slice(0, 200)}`);
    }
  }
  return m as TreeManifest;
}
