import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { DirMeasure } from '../core/ebs/source-dir.js';
import type { RestorableEntry } from '../core/restore/list.js';

/** A volume as the volume screen lists it. */
export interface VolumeChoiceInfo {
  id: string;
  name?: string;
  sizeGiB: number;
  zone: string;
  state: string;
}

/** A disk as the device screen lists it (from lsblk), with why it cannot be shipped, if it cannot. */
export interface DeviceChoiceInfo {
  path: string;
  model: string;
  sizeBytes: number;
  serial: string;
  unusableReason?: string;
}

/** What the screens need from the outside world; tests pass their own. */
export interface WizardServices {
  listVolumes(): Promise<VolumeChoiceInfo[]>;
  measure(dir: string): Promise<DirMeasure>;
  complete(partial: string, options?: { files?: boolean }): Promise<string>;
  checkDir(dir: string): Promise<string | undefined>;
  /** Undefined when the manifest is valid; otherwise the first problem, with its line number. */
  checkManifest(path: string): Promise<string | undefined>;
  listDevices(): Promise<DeviceChoiceInfo[]>;
  /** The EBS volumes and snapshots offsite restore can read (optional: older test doubles lack it). */
  listBackups?(): Promise<RestorableEntry[]>;
  /** Undefined when `dir` can take a restore (empty or absent, parent present); otherwise why not. */
  checkRestoreTarget?(dir: string): Promise<string | undefined>;
}

/** Completes the last path component to the longest common prefix of the matching directories. */
export async function completePath(partial: string, cwd = process.cwd(), options: { files?: boolean } = {}): Promise<string> {
  const expanded = partial.startsWith('~') ? homedir() + partial.slice(1) : partial;
  const absolute = resolve(cwd, expanded || '.');
  const endsWithSlash = expanded.endsWith('/');
  const parent = endsWithSlash ? absolute : dirname(absolute);
  const stem = endsWithSlash ? '' : basename(absolute);
  const names = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const matches = names.filter((d) => (options.files || d.isDirectory() || d.isSymbolicLink()) && d.name.startsWith(stem) && (stem.startsWith('.') || !d.name.startsWith('.')));
  if (matches.length === 0) return partial;
  let common = matches[0]!.name;
  for (const m of matches) while (!m.name.startsWith(common)) common = common.slice(0, -1);
  const head = partial.slice(0, partial.length - stem.length);
  const completed = `${head}${common}`;
  return matches.length === 1 && matches[0]!.isDirectory() ? `${completed}/` : completed;
}

export function defaultServices(): WizardServices {
  return {
    listVolumes: async () => {
      const [{ resolveAwsContext, ec2Client }, { DescribeVolumesCommand }] = await Promise.all([
        import('../aws/clients.js'),
        import('@aws-sdk/client-ec2'),
      ]);
      const ec2 = ec2Client(await resolveAwsContext({}));
      try {
        const found = await ec2.send(new DescribeVolumesCommand({ MaxResults: 200 }));
        return (found.Volumes ?? []).map((v) => ({
          id: v.VolumeId ?? '?',
          ...(v.Tags?.find((t) => t.Key === 'Name')?.Value ? { name: v.Tags.find((t) => t.Key === 'Name')!.Value! } : {}),
          sizeGiB: v.Size ?? 0,
          zone: v.AvailabilityZone ?? '?',
          state: v.State ?? 'unknown',
        }));
      } finally {
        ec2.destroy();
      }
    },
    measure: async (dir) => (await import('../core/ebs/source-dir.js')).measureDir(dir),
    complete: (partial, options) => completePath(partial, process.cwd(), options),
    checkManifest: async (path) => {
      const { readManifest } = await import('../core/export/manifest.js');
      return readManifest(path).then(
        () => undefined,
        (error: Error) => error.message,
      );
    },
    listDevices: async () => {
      const [{ execFile }, { promisify }, { checkExportDevice }] = await Promise.all([
        import('node:child_process'),
        import('node:util'),
        import('../core/export/device.js'),
      ]);
      const { stdout } = await promisify(execFile)('lsblk', ['--json', '--bytes', '--nodeps', '--output', 'PATH,MODEL,SIZE,SERIAL,TYPE']);
      const found = (JSON.parse(stdout) as { blockdevices: { path: string; model: string | null; size: number; serial: string | null; type: string }[] }).blockdevices;
      const devices: DeviceChoiceInfo[] = [];
      for (const d of found.filter((d) => d.type === 'disk' || d.type === 'loop')) {
        const reason = await checkExportDevice(d.path, { allowMounted: false }).then(
          () => undefined,
          (error: Error) => error.message.replace(/^.*? (is|has) /, '$1 '),
        );
        devices.push({ path: d.path, model: d.model ?? '', sizeBytes: Number(d.size), serial: d.serial ?? '', ...(reason ? { unusableReason: reason } : {}) });
      }
      return devices;
    },
    listBackups: async () => {
      const [{ resolveAwsContext, ec2Client }, { listRestorable }] = await Promise.all([import('../aws/clients.js'), import('../core/restore/list.js')]);
      const ec2 = ec2Client(await resolveAwsContext({}));
      try {
        return await listRestorable(ec2);
      } finally {
        ec2.destroy();
      }
    },
    checkRestoreTarget: async (dir) => {
      const { checkTarget } = await import('../core/restore/target.js');
      return checkTarget(resolve(dir.startsWith('~') ? join(homedir(), dir.slice(1)) : dir), false).then(
        () => undefined,
        (error: Error) => error.message,
      );
    },
    checkDir: async (dir) => {
      const { checkSourceDir } = await import('../core/ebs/source-dir.js');
      try {
        await checkSourceDir(resolve(dir.startsWith('~') ? join(homedir(), dir.slice(1)) : dir));
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  };
}

