import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { OffsiteError } from '../../errors.js';
import { acquireLockFile, type HeldLock } from '../host/lock-file.js';

/** One lock per profile (by its real path), in the state directory: two runs of one profile never overlap. */
export async function lockPathFor(stateDir: string, profileFile: string): Promise<string> {
  const real = await realpath(profileFile).catch(() => profileFile);
  return join(stateDir, 'locks', `archive-${createHash('sha256').update(real).digest('hex').slice(0, 16)}.lock`);
}

/** Takes the profile's lock, taking over a dead holder's; a live holder is a one-line error. */
export function acquireLock(path: string, profile: string): Promise<HeldLock> {
  return acquireLockFile(path, { what: profile }, (holder) => new OffsiteError(`${profile} is being archived by another run (pid ${holder.pid} on ${holder.host}, since ${holder.started}); lock ${path}`));
}
