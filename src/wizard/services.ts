import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { DirMeasure } from '../core/ebs/source-dir.js';

/** A volume as the volume screen lists it. */
export interface VolumeChoiceInfo {
  id: string;
  name?: string;
  sizeGiB: number;
  zone: string;
  state: string;
}

/** What the screens need from the outside world; tests pass their own. */
export interface WizardServices {
  listVolumes(): Promise<VolumeChoiceInfo[]>;
  measure(dir: string): Promise<DirMeasure>;
  complete(partial: string): Promise<string>;
  checkDir(dir: string): Promise<string | undefined>;
}

/** Completes the last path component to the longest common prefix of the matching directories. */
export async function completePath(partial: string, cwd = process.cwd()): Promise<string> {
  const expanded = partial.startsWith('~') ? homedir() + partial.slice(1) : partial;
  const absolute = resolve(cwd, expanded || '.');
  const endsWithSlash = expanded.endsWith('/');
  const parent = endsWithSlash ? absolute : dirname(absolute);
  const stem = endsWithSlash ? '' : basename(absolute);
  const names = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const matches = names.filter((d) => (d.isDirectory() || d.isSymbolicLink()) && d.name.startsWith(stem) && (stem.startsWith('.') || !d.name.startsWith('.')));
  if (matches.length === 0) return partial;
  let common = matches[0]!.name;
  for (const m of matches) while (!m.name.startsWith(common)) common = common.slice(0, -1);
  const head = partial.slice(0, partial.length - stem.length);
  const completed = `${head}${common}`;
  return matches.length === 1 ? `${completed}/` : completed;
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
    complete: (partial) => completePath(partial),
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

