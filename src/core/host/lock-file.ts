import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { OffsiteError } from '../../errors.js';
import { processAlive } from '../../util/process-alive.js';

/** Who holds a lock file: written into it by the run that took it. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  /** What the lock guards, in words ("/etc/offsite/daily.ini", "s3 session 1a2b…"). */
  what: string;
  runId?: string;
}

export interface HeldLock {
  path: string;
  /** A stale lock that was taken over (its holder had died). */
  replaced?: LockOwner;
  release(): Promise<void>;
}

/**
 * Who holds the lock, if anyone alive does. A dead holder (same host, no such pid) does not count; another
 * machine's processes cannot be checked, so its holder is taken to be alive.
 */
export async function lockHolder(path: string): Promise<LockOwner | undefined> {
  const owner = await readOwner(path);
  if (!owner) return undefined;
  if (owner.host !== hostname()) return owner;
  return owner.pid !== process.pid && processAlive(owner.pid) ? owner : undefined;
}

/**
 * Takes a lock file (O_EXCL, fsync'd), so two runs never work on the same thing at once; a lock whose holder died
 * (kill -9) is taken over. A live holder is the error `busy` makes of it.
 */
export async function acquireLockFile(path: string, owner: { what: string; runId?: string }, busy: (holder: LockOwner) => Error): Promise<HeldLock> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const mine: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), ...owner };
  const text = JSON.stringify(mine);
  let replaced: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        path,
        ...(replaced ? { replaced } : {}),
        release: async () => {
          // Only our own: never remove a lock another run took over.
          if ((await readFile(path, 'utf8').catch(() => '')) === text) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await lockHolder(path);
      if (holder) throw busy(holder);
      replaced = await readOwner(path);
      await rm(path, { force: true });
    }
  }
  throw new OffsiteError(`could not take the lock ${path}: another run keeps taking it`);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? { host: hostname(), started: '?', what: '?', ...owner, pid: owner.pid } : undefined;
  } catch {
    return undefined; // a torn write by a run that died while taking it
  }
}
