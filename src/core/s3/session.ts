import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { acquireLockFile, type HeldLock } from '../host/lock-file.js';
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

/**
 * A lock file per session, so two runs never interleave their uploads to the same place. A lock left by a process
 * that is gone (kill -9) is taken over.
 */
export function lockSession(stateDir: string, session: string, runId: string): Promise<HeldLock> {
  return acquireLockFile(join(stateDir, 'locks', `s3-${session}.lock`), { what: `s3 session ${session}`, runId }, (holder) =>
    new UsageError(`another offsite s3 run (pid ${holder.pid}, run ${holder.runId ?? '?'}) is storing this directory to the same place; wait for it to finish`),
  );
}
