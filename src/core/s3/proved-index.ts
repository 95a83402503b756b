import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChecksumAlgorithm } from '../checksums/algorithms.js';
import type { Digests } from '../checksums/content.js';
import type { EncryptionPlan } from './plan.js';

/**
 * What the last successful run proved about one file: the local file as it was (size, mtime), its plaintext
 * digests, and the object S3 then held (the bytes sent and the ETag S3 gave them). A later run that finds the same
 * size and mtime locally and the same size and ETag in the listing knows the object is still the one proved,
 * without reading the file or asking S3 about the object.
 */
export interface ProvedEntry {
  size: number;
  mtimeMs: number;
  plaintext: Digests;
  /** The bytes S3 holds (the ciphertext under client-side encryption, else the plaintext's digests again). */
  sent: Digests;
  etag: string;
  algorithm: ChecksumAlgorithm;
  encryption: EncryptionPlan['kind'];
}

export type ProvedIndex = Map<string, ProvedEntry>;

const VERSION = 1;

function indexPath(stateDir: string, session: string): string {
  return join(stateDir, 's3-index', `${session}.json`);
}

/** The index of a session, or an empty one (first run, unreadable or from another version: everything is checked). */
export async function loadProvedIndex(stateDir: string, session: string): Promise<ProvedIndex> {
  try {
    const parsed = JSON.parse(await readFile(indexPath(stateDir, session), 'utf8')) as { version?: number; entries?: Record<string, ProvedEntry> };
    if (parsed.version !== VERSION || !parsed.entries) return new Map();
    return new Map(Object.entries(parsed.entries));
  } catch {
    return new Map();
  }
}

/** Written whole and renamed into place, so a crash leaves the old index or the new one, never half of one. */
export async function saveProvedIndex(stateDir: string, session: string, index: ProvedIndex): Promise<void> {
  const path = indexPath(stateDir, session);
  await mkdir(join(stateDir, 's3-index'), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify({ version: VERSION, entries: Object.fromEntries(index) }), { mode: 0o600 });
  await rename(temp, path);
}

/** The entry still describes this file and this object: same local size and mtime, same object size and ETag. */
export function stillProved(
  entry: ProvedEntry | undefined,
  file: { size: number; mtimeMs: number },
  listed: { size: number; etag: string } | undefined,
  settings: { algorithm: ChecksumAlgorithm; encryption: EncryptionPlan['kind'] },
): entry is ProvedEntry {
  return (
    entry !== undefined &&
    listed !== undefined &&
    entry.size === file.size &&
    entry.mtimeMs === file.mtimeMs &&
    entry.sent.size === listed.size &&
    entry.etag === listed.etag &&
    entry.algorithm === settings.algorithm &&
    entry.encryption === settings.encryption
  );
}
