import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { checkExportDevice } from './device.js';

/** A whole disk as lsblk reports it, with why it cannot take an export, if it cannot. */
export interface DiskInfo {
  path: string;
  model: string;
  sizeBytes: number;
  serial: string;
  unusableReason?: string;
}

interface LsblkDevice {
  path: string;
  model: string | null;
  size: number | string;
  serial: string | null;
  type: string;
}

/** Parses `lsblk --json --bytes --nodeps --output PATH,MODEL,SIZE,SERIAL,TYPE`: disks and loop devices only. */
export function parseLsblk(json: string): Omit<DiskInfo, 'unusableReason'>[] {
  const found = (JSON.parse(json) as { blockdevices?: LsblkDevice[] }).blockdevices ?? [];
  return found
    .filter((d) => d.type === 'disk' || d.type === 'loop')
    .map((d) => ({ path: d.path, model: d.model?.trim() ?? '', sizeBytes: Number(d.size), serial: d.serial?.trim() ?? '' }));
}

/** Every disk, each checked as `export create-job` would check it (system disk, mounted, read-only, in use). */
export async function listDisks(): Promise<DiskInfo[]> {
  const { stdout } = await promisify(execFile)('lsblk', ['--json', '--bytes', '--nodeps', '--output', 'PATH,MODEL,SIZE,SERIAL,TYPE']);
  const disks: DiskInfo[] = [];
  for (const disk of parseLsblk(stdout)) {
    const reason = await checkExportDevice(disk.path, { allowMounted: false }).then(
      () => undefined,
      // "/dev/sda is mounted at /" reads "is mounted at /" beside the device's own line.
      (error: Error) => error.message.replace(/^.*? (is|has) /, '$1 '),
    );
    disks.push({ ...disk, ...(reason ? { unusableReason: reason } : {}) });
  }
  return disks;
}
