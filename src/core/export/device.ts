import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../../errors.js';

/**
 * Looking at a block device without touching it: sysfs and /proc only. Everything here is safe under --dry-run.
 */
export interface BlockDevice {
  /** As the operator gave it. */
  given: string;
  /** /dev/<name> (symlinks such as /dev/disk/by-id/… resolved). */
  path: string;
  name: string;
  /** "major:minor" */
  devno: string;
  isPartition: boolean;
  /** The whole disk's name: itself, or the partition's parent. */
  disk: string;
  /** Partition names on the whole disk (empty for a partition). */
  partitions: string[];
  sizeBytes: number;
  readOnly: boolean;
}

export interface MountInfo {
  devno: string;
  source: string;
  target: string;
}

/** The kernel's rule: a disk whose name ends in a digit (nvme0n1, mmcblk0, loop0) numbers partitions as p1. */
export function partitionName(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}

/** glibc's major()/minor() for st_rdev / st_dev values below 2^32 plus the high bits. */
export function devno(dev: number): string {
  const big = BigInt(dev);
  const major = ((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn);
  const minor = (big & 0xffn) | ((big >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

export async function inspectBlockDevice(given: string): Promise<BlockDevice> {
  const info = await stat(given).catch(() => undefined);
  if (!info) throw new UsageError(`${given}: no such device`);
  if (!info.isBlockDevice()) throw new UsageError(`${given}: not a block device`);
  const number = devno(info.rdev);
  const sys = await realpath(`/sys/dev/block/${number}`).catch(() => undefined);
  if (!sys) throw new UsageError(`${given}: the kernel does not list block device ${number}`);
  const name = basename(sys);
  const isPartition = await exists(join(sys, 'partition'));
  const disk = isPartition ? basename(dirname(sys)) : name;
  const partitions = isPartition ? [] : await partitionsOf(sys);
  const sectors = Number((await readFile(join(sys, 'size'), 'utf8').catch(() => '0')).trim());
  const readOnly = (await readFile(join(sys, 'ro'), 'utf8').catch(() => '0')).trim() === '1';
  return { given, path: `/dev/${name}`, name, devno: number, isPartition, disk, partitions, sizeBytes: sectors * 512, readOnly };
}

async function partitionsOf(sysDisk: string): Promise<string[]> {
  const names = await readdir(sysDisk).catch(() => [] as string[]);
  const parts: string[] = [];
  for (const n of names) if (await exists(join(sysDisk, n, 'partition'))) parts.push(n);
  return parts.sort();
}

/** /proc/self/mountinfo: device number, source and mount point of every mount (octal escapes decoded). */
export async function readMountInfo(): Promise<MountInfo[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const decode = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const fields = line.split(' ');
      const dash = fields.indexOf('-');
      return { devno: fields[2] ?? '', target: decode(fields[4] ?? ''), source: decode(fields[dash + 2] ?? '') };
    });
}

/** Where the device (or, for a whole disk, any of its partitions) is mounted. */
export async function mountsOf(device: BlockDevice, mounts?: MountInfo[]): Promise<MountInfo[]> {
  const all = mounts ?? (await readMountInfo());
  const names = new Set([device.name, ...device.partitions]);
  const numbers = new Set<string>();
  for (const n of names) {
    const dev = (await readFile(`/sys/class/block/${n}/dev`, 'utf8').catch(() => '')).trim();
    if (dev) numbers.add(dev);
  }
  return all.filter((m) => numbers.has(m.devno) || names.has(basename(m.source)));
}

/** Names of the disks under the running system: what holds /, /boot, /usr, /var and active swap. */
export async function systemDisks(): Promise<Set<string>> {
  const disks = new Set<string>();
  const mounts = await readMountInfo().catch(() => [] as MountInfo[]);
  for (const point of ['/', '/boot', '/boot/efi', '/usr', '/var']) {
    const info = await stat(point).catch(() => undefined);
    if (!info) continue;
    for (const d of await disksUnder(devno(info.dev))) disks.add(d);
    // Filesystems without a block device number of their own (btrfs, overlay): go by the mount's source.
    const source = mounts.filter((m) => m.target === point).at(-1)?.source;
    if (source?.startsWith('/dev/')) {
      const dev = await stat(source).catch(() => undefined);
      if (dev?.isBlockDevice()) for (const d of await disksUnder(devno(dev.rdev))) disks.add(d);
    }
  }
  const swaps = await readFile('/proc/swaps', 'utf8').catch(() => '');
  for (const line of swaps.split('\n').slice(1)) {
    const source = line.split(/\s+/)[0];
    if (!source?.startsWith('/dev/')) continue;
    const dev = await stat(source).catch(() => undefined);
    if (dev?.isBlockDevice()) for (const d of await disksUnder(devno(dev.rdev))) disks.add(d);
  }
  return disks;
}

/** The physical disks below a device number, following device-mapper and md slaves. */
async function disksUnder(number: string, depth = 0): Promise<string[]> {
  const sys = await realpath(`/sys/dev/block/${number}`).catch(() => undefined);
  if (!sys || depth > 8) return [];
  const isPartition = await exists(join(sys, 'partition'));
  const diskSys = isPartition ? dirname(sys) : sys;
  const slaves = await readdir(join(diskSys, 'slaves')).catch(() => [] as string[]);
  if (slaves.length === 0) return [basename(diskSys)];
  const out: string[] = [];
  for (const slave of slaves) {
    const dev = (await readFile(join(diskSys, 'slaves', slave, 'dev'), 'utf8').catch(() => '')).trim();
    if (dev) out.push(...(await disksUnder(dev, depth + 1)));
  }
  return out;
}

/** Who else uses the device: device-mapper, md or bcache holders of it or its partitions. */
async function holdersOf(device: BlockDevice): Promise<string[]> {
  const out: string[] = [];
  for (const n of [device.name, ...device.partitions]) out.push(...(await readdir(`/sys/class/block/${n}/holders`).catch(() => [] as string[])));
  return out;
}

export interface DeviceCheck {
  device: BlockDevice;
  /** Existing mounts (allowed only with --skip-format, where we reuse one). */
  mounts: MountInfo[];
}

/**
 * The refusals before anything is written: not a block device, the system disk, read-only, in use by
 * device-mapper/RAID, or mounted (unless `allowMounted`: --skip-format reuses the mount).
 */
export async function checkExportDevice(given: string, options: { allowMounted: boolean }): Promise<DeviceCheck> {
  const device = await inspectBlockDevice(given);
  const label = device.given === device.path ? device.path : `${device.given} (${device.path})`;
  if ((await systemDisks()).has(device.disk)) throw new UsageError(`${label} is on the system disk ${device.disk}; refusing to use it for an export`);
  if (device.sizeBytes === 0) throw new UsageError(`${label} has no medium (size 0)`);
  if (device.readOnly) throw new UsageError(`${label} is read-only`);
  const holders = await holdersOf(device);
  if (holders.length > 0) throw new UsageError(`${label} is in use by ${holders.join(', ')} (device-mapper, LVM or RAID); refusing to use it`);
  const mounts = await mountsOf(device);
  if (mounts.length > 0 && !options.allowMounted) {
    throw new UsageError(`${label} is mounted at ${mounts.map((m) => m.target).join(', ')}; unmount it first`, { remedy: 'skipFormat' });
  }
  return { device, mounts };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
