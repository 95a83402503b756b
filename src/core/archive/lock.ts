import { createHash } from 'node:crypto';
import { processAlive } from '../../util/process-alive.js';
import { mkdir, open, readFile, realpath, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OffsiteError } from '../../errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  profile: string;
}

/** One lock per profile (by its real path), in the state directory: two runs of one profile never overlap. */
export async function lockPathFor(stateDir: string, profileFile: string): Promise<string> {
  const real = await realpath(profileFile).catch(() => profileFile);
  return join(stateDir, 'locks', `archive-${createHash('sha256').update(real).digest('hex').slice(0, 16)}.lock`);
}

/** Who holds the lock, if anyone alive does. A dead holder (same host, no such pid) does not count. */
export async function lockHolder(path: string): Promise<LockOwner | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let owner: LockOwner;
  try {
    owner = JSON.parse(text) as LockOwner;
  } catch {
    return undefined; // a torn write by a run that died while taking it
  }
  if (owner.host !== hostname()) return owner; // cannot check another machine's processes: assume alive
  return processAlive(owner.pid) ? owner : undefined;
}


export interface HeldLock {
  path: string;
  /** A stale lock we took over (its holder had died). */
  replaced?: LockOwner;
  release(): Promise<void>;
}

/** Takes the lock (O_EXCL), taking over a dead holder's; a live holder is a one-line error. */
export async function acquireLock(path: string, profile: string): Promise<HeldLock> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const mine: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), profile };
  let replaced: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(mine));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        path,
        ...(replaced ? { replaced } : {}),
        release: async () => {
          // Only our own lock: never remove one another run took over.
          const now = await readFile(path, 'utf8').catch(() => '');
          if (now === JSON.stringify(mine)) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await lockHolder(path);
      if (holder) throw new OffsiteError(`${profile} is being archived by another run (pid ${holder.pid} on ${holder.host}, since ${holder.started}); lock ${path}`);
      replaced = await readFile(path, 'utf8').then((t) => JSON.parse(t) as LockOwner).catch(() => undefined);
      await rm(path, { force: true });
    }
  }
  throw new OffsiteError(`could not take the lock ${path}: another run keeps taking it`);
}
