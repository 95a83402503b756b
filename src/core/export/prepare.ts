import { mkdtemp, open, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterruptedError, OffsiteError } from '../../errors.js';
import { pollUntil } from '../../util/poll.js';
import { partitionName, readMountInfo, type BlockDevice } from './device.js';
import { runTool } from './tools.js';

/** How long the kernel gets to show a new partition or a (un)mount, as the original allowed. */
const SETTLE_MS = 5_000;

/**
 * A new GPT with one partition over the whole disk. The original ran sgdisk -o; -F; -E; -n 1:first:last; one
 * `sgdisk -o -n 1:0:0` makes the same table (0:0 = the new table's first and last usable sectors) with one
 * disk sync instead of two (each costs about a second). Then the kernel is told and we wait for the node.
 */
export async function partitionWholeDisk(disk: BlockDevice, signal: AbortSignal): Promise<string> {
  await runTool(['sgdisk', '-o', '-n', '1:0:0', disk.path], { signal });
  const part = `/dev/${partitionName(disk.name, 1)}`;
  // sgdisk asks the kernel to re-read the table, which a busy or non-partscan loop device ignores: partx adds it.
  await runTool(['partx', '-u', disk.path], { signal, check: false });
  if (!(await isBlockDevice(part))) await runTool(['partx', '-a', disk.path], { signal, check: false });
  await pollUntil(async () => ((await isBlockDevice(part)) ? true : undefined), {
    signal,
    timeoutMs: SETTLE_MS,
    minDelayMs: 100,
    maxDelayMs: 500,
    what: `the kernel to show ${part}`,
  });
  return part;
}

/** ext4 with no blocks reserved for root (-m 0), as the original; -F because the operator has confirmed. */
export async function makeExt4(partition: string, signal: AbortSignal): Promise<void> {
  await runTool(['mkfs', '-t', 'ext4', '-m', '0', '-F', '-q', partition], { signal });
}

/** The filesystem type blkid finds on a device, if any (probing only, never writing). */
export async function filesystemType(device: string, signal: AbortSignal): Promise<string | undefined> {
  const result = await runTool(['blkid', '-p', '-o', 'value', '-s', 'TYPE', device], { signal, check: false });
  const type = result.stdout.trim();
  return result.code === 0 && type ? type : undefined;
}

/** --skip-format: the device as it is, or for a whole disk without a filesystem of its own, its first partition that has one. */
export async function existingFilesystem(device: BlockDevice, signal: AbortSignal): Promise<{ path: string; type: string }> {
  const own = await filesystemType(device.path, signal);
  if (own) return { path: device.path, type: own };
  for (const part of device.partitions) {
    const type = await filesystemType(`/dev/${part}`, signal);
    if (type) return { path: `/dev/${part}`, type };
  }
  throw new OffsiteError(`${device.given}: told to keep its filesystem, but there is none on it to write the SIGNATURE file to`);
}

export async function makePrivateDir(base = tmpdir()): Promise<string> {
  return mkdtemp(join(base, 'offsite-export-'));
}

/** Mounts without device files, set-uid or exec (nothing on the disk runs here), and waits until the kernel shows it. */
export async function mountAt(device: string, dir: string, signal: AbortSignal): Promise<void> {
  await runTool(['mount', '-o', 'nodev,nosuid,noexec', device, dir], { signal });
  await pollUntil(async () => ((await isMountPoint(dir)) ? true : undefined), { signal, timeoutMs: SETTLE_MS, minDelayMs: 100, what: `${dir} to be mounted` });
}

/** Unmounts and waits until it is gone; a busy filesystem gets a few more tries before we give up. */
export async function unmountDir(dir: string, signal?: AbortSignal): Promise<void> {
  let last = '';
  try {
    await pollUntil(
      async () => {
        if (!(await isMountPoint(dir))) return true;
        const result = await runTool(['umount', dir], { check: false, ...(signal ? { signal } : {}) });
        if (result.code !== 0) last = result.stderr.trim().split('\n').at(-1) ?? '';
        return (await isMountPoint(dir)) ? undefined : true;
      },
      { ...(signal ? { signal } : {}), timeoutMs: SETTLE_MS, minDelayMs: 200, maxDelayMs: 1_000, what: `${dir} to be unmounted` },
    );
  } catch (error) {
    if (last && !(error instanceof InterruptedError)) throw new OffsiteError(`could not unmount ${dir}: ${last}`);
    throw error;
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** Writes the SIGNATURE file and makes sure it is on the disk, not only in the page cache. */
export async function writeSignature(root: string, contents: string): Promise<string> {
  const path = join(root, 'SIGNATURE');
  const file = await open(path, 'w', 0o644);
  try {
    await file.writeFile(contents, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  const dir = await open(root, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return path;
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await readMountInfo()).some((m) => m.target === dir);
}

async function isBlockDevice(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info?.isBlockDevice() ?? false;
}
