import { execFile } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Sandbox } from '../sandbox/sandbox.js';
import { describeTree } from './trees.js';

const run = promisify(execFile);

/** Mounts an rsync volume's backing file read-only and describes what is on it (lost+found aside). */
export async function describeRsyncVolume(sandbox: Sandbox, volumeId: string, work: string): Promise<Awaited<ReturnType<typeof describeTree>>> {
  const mnt = await mkdtemp(join(work, 'mnt-'));
  await run('mount', ['-o', 'loop,ro', sandbox.volumeFile(volumeId), mnt]);
  try {
    return await describeTree(mnt, ['lost+found']);
  } finally {
    await run('umount', [mnt]);
    await rmdir(mnt);
  }
}
