import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { OffsiteError } from '../../errors.js';
import { lastLine } from '../host/command.js';
import type { HostCommands } from './host-commands.js';

/** The kernel's view of a block device: whether it is a partition, and the partitions it has (sysfs, read-only). */
export interface KernelDisk {
  device: string;
  name: string;
  isPartition: boolean;
  partitions: string[];
}

export async function kernelDisk(path: string): Promise<KernelDisk> {
  const device = await realpath(path);
  const name = basename(device);
  const sys = join('/sys/class/block', name);
  const isPartition = await readFile(join(sys, 'partition'), 'utf8').then(() => true, () => false);
  const entries = isPartition ? [] : await readdir(sys).catch(() => [] as string[]);
  const partitions: string[] = [];
  for (const entry of entries.filter((e) => e.startsWith(name)).sort(byPartitionNumber)) {
    if (await readFile(join(sys, entry, 'partition'), 'utf8').then(() => true, () => false)) partitions.push(`/dev/${entry}`);
  }
  return { device, name, isPartition, partitions };
}

function byPartitionNumber(a: string, b: string): number {
  return Number(/\d+$/.exec(a)?.[0] ?? 0) - Number(/\d+$/.exec(b)?.[0] ?? 0) || a.localeCompare(b);
}

/** `blkid -p` (probes the device itself, writes nothing): TYPE of a filesystem, PTTYPE of a partition table. */
export async function probe(commands: HostCommands, device: string, signal?: AbortSignal): Promise<{ type?: string; ptType?: string }> {
  const result = await commands.run(['blkid', '-p', '-o', 'export', device], signal ? { signal } : {});
  if (result.code === 127) throw new OffsiteError('blkid is not installed (util-linux)');
  if (result.code !== 0 && result.code !== 2) throw new OffsiteError(`blkid ${device} failed: ${lastLine(result.stderr) || `exit ${result.code}`}`);
  const values = Object.fromEntries(
    result.stdout
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
      .flatMap((m) => (m ? [[m[1]!, m[2]!]] : [])),
  );
  return { ...(values.TYPE ? { type: values.TYPE } : {}), ...(values.PTTYPE ? { ptType: values.PTTYPE } : {}) };
}

export interface GptPartition {
  number: number;
  startSector: number;
  endSector: number;
}

/** `sgdisk -p` output: the logical sector size and the partition lines. */
export function parseSgdiskTable(text: string): { sectorSize: number; partitions: GptPartition[] } {
  const sector = /Sector size \(logical(?:\/physical)?\): (\d+)/.exec(text);
  const partitions: GptPartition[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+[0-9A-F]{4}\b/.exec(line);
    if (m) partitions.push({ number: Number(m[1]), startSector: Number(m[2]), endSector: Number(m[3]) });
  }
  return { sectorSize: sector ? Number(sector[1]) : 512, partitions };
}

/** sgdisk -v's complaint when a GPT image sits on a larger disk: the kernel then ignores the whole table. */
export function backupHeaderMisplaced(verifyText: string): boolean {
  return /secondary header's self-pointer indicates that it doesn't reside\s+at the end of the disk/i.test(verifyText);
}

/** Mount options that never write: ext3/ext4 also skip journal replay (noload), xfs log recovery (norecovery). */
export function readOnlyOptions(fsType: string | undefined): string {
  if (fsType === 'ext3' || fsType === 'ext4') return 'ro,noload';
  if (fsType === 'xfs') return 'ro,norecovery';
  return 'ro';
}
