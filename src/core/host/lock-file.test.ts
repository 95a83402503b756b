import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLockFile, lockHolder } from './lock-file.js';

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'offsite-lock-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

const busy = (holder: { pid: number }) => new Error(`held by ${holder.pid}`);
/** A pid above the kernel's limit (2^22): no process has it. */
const DEAD_PID = 4194305;

describe('lock files', () => {
  it('one holder at a time; a live holder is the error the caller makes of it; release frees it', async () => {
    const path = join(dir, 'locks', 'one.lock');
    const lock = await acquireLockFile(path, { what: 'one', runId: 'run-1' }, busy);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), what: 'one', runId: 'run-1' });
    // Held by a live process (this one, seen from another run's side: write a live pid that is not ours).
    await lock.release();
    await writeFile(path, JSON.stringify({ pid: process.ppid, host: hostname(), started: 'then', what: 'one' }));
    await expect(acquireLockFile(path, { what: 'one' }, busy)).rejects.toThrow(`held by ${process.ppid}`);
    expect(await lockHolder(path)).toMatchObject({ pid: process.ppid });
  });

  it('a dead holder\'s lock (and a torn one) is taken over and reported', async () => {
    const path = join(dir, 'dead.lock');
    await writeFile(path, JSON.stringify({ pid: DEAD_PID, host: hostname(), started: 'then', what: 'dead' }));
    expect(await lockHolder(path)).toBeUndefined();
    const lock = await acquireLockFile(path, { what: 'dead' }, busy);
    expect(lock.replaced).toMatchObject({ pid: DEAD_PID });
    await lock.release();
    await writeFile(path, '{"pid": 12');
    const again = await acquireLockFile(path, { what: 'torn' }, busy);
    expect(again.replaced).toBeUndefined();
    await again.release();
  });

  it('release never removes a lock another run took over', async () => {
    const path = join(dir, 'taken.lock');
    const lock = await acquireLockFile(path, { what: 'taken' }, busy);
    const other = JSON.stringify({ pid: process.ppid, host: hostname(), started: 'later', what: 'taken' });
    await writeFile(path, other);
    await lock.release();
    expect(await readFile(path, 'utf8')).toBe(other);
  });

  it('another machine\'s holder is taken to be alive', async () => {
    const path = join(dir, 'remote.lock');
    await writeFile(path, JSON.stringify({ pid: DEAD_PID, host: 'elsewhere.example', started: 'then', what: 'remote' }));
    await expect(acquireLockFile(path, { what: 'remote' }, busy)).rejects.toThrow(`held by ${DEAD_PID}`);
  });
});
