import { createHash } from 'node:crypto';
import { processAlive } from '../../util/process-alive.js';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { S3Location } from './url.js';

/** Staged copies live at the bucket's root, outside any destination prefix, so listings of a prefix never see them. */
export const STAGING_ROOT = '.offsite-staging/';

/**
 * One source directory stored to one destination is one session: its staged objects and incomplete uploads sit under
 * a prefix named after it, so a later run of the same command finds what an interrupted one left.
 */
export function sessionId(source: string, destination: S3Location): string {
  return createHash('sha256').update(`${destination.bucket}\n${destination.prefix}\n${source}`).digest('hex').slice(0, 16);
}

export function stagingPrefix(session: string): string {
  return `${STAGING_ROOT}${session}/`;
}

export function stagingKey(session: string, key: string): string {
  return `${stagingPrefix(session)}${key}`;
}

export interface SessionLock {
  path: string;
  release(): Promise<void>;
}

/**
 * A lock file per session, so two runs never interleave their uploads to the same place. A lock left by a process
 * that is gone (kill -9) is taken over.
 */
export async function lockSession(stateDir: string, session: string, runId: string): Promise<SessionLock> {
  const dir = join(stateDir, 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `s3-${session}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, runId }));
      await handle.close();
      return { path, release: () => unlink(path).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readFile(path, 'utf8').then((text) => JSON.parse(text) as { pid?: number; runId?: string }).catch(() => ({}) as { pid?: number; runId?: string });
      if (holder.pid && holder.pid !== process.pid && processAlive(holder.pid)) {
        throw new UsageError(`another offsite s3 run (pid ${holder.pid}, run ${holder.runId ?? '?'}) is storing this directory to the same place; wait for it to finish`);
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new UsageError(`could not take the lock ${path}`);
}

