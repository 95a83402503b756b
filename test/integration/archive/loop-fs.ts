import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMounts } from '../../../src/core/archive/mounts.js';
import { pseudoRandom } from '../../helpers/trees.js';

/** Runs a tool and returns its stdout; a failure throws with what it said. */
export function sh(program: string, ...args: string[]): string {
  return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface LoopBtrfs {
  image: string;
  device: string;
  mountPoint: string;
  /** Unmounts everything under the mount point, then it, then detaches the loop device. */
  destroy(): void;
}

/** A real btrfs filesystem on a loop device over a sparse file. */
export async function makeLoopBtrfs(dir: string, sizeMiB: number): Promise<LoopBtrfs> {
  const image = join(dir, 'btrfs.img');
  const mountPoint = join(dir, 'mnt');
  sh('truncate', '-s', `${sizeMiB}M`, image);
  sh('mkfs.btrfs', '-q', image);
  const device = sh('losetup', '--find', '--show', image).trim();
  await mkdir(mountPoint);
  sh('mount', device, mountPoint);
  return {
    image,
    device,
    mountPoint,
    destroy() {
      for (const target of mountedUnder(mountPoint).reverse()) execFileSync('umount', ['-l', target], { stdio: 'ignore' });
      execFileSync('losetup', ['-d', device], { stdio: 'ignore' });
    },
  };
}

/** Mount points at or under `root`, in /proc/mounts order. */
export function mountedUnder(root: string): string[] {
  return parseMounts(readFileSync('/proc/mounts', 'utf8'))
    .map((m) => m.target)
    .filter((t) => t === root || t.startsWith(`${root}/`));
}

/** Writes numbered files and log lines into `dir` until stopped: a filesystem in use while it is archived. */
export function startWriter(dir: string): { writes: () => number; stop: () => Promise<void> } {
  let count = 0;
  let stopped = false;
  const done = (async () => {
    await mkdir(dir, { recursive: true });
    while (!stopped) {
      count++;
      await writeFile(join(dir, `file-${String(count).padStart(5, '0')}.bin`), pseudoRandom(8192, count));
      await appendFile(join(dir, 'journal.log'), `entry ${count}\n`);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  })();
  return {
    writes: () => count,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Every path and its bytes under a directory (for "nothing changed" checks of small trees). */
export async function snapshotOfFiles(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    for (const entry of (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        out[child] = 'dir';
        await walk(child);
      } else if (entry.isFile()) out[child] = (await readFile(join(root, child))).toString('base64');
      else out[child] = 'other';
    }
  }
  await walk('');
  return out;
}

/** Where a test's btrfs profiles point: its scratch directory, the subvolume, the snapshot directory, a bind source. */
export interface ProfileDirs {
  work: string;
  data: string;
  snaps: string;
  bindSource: string;
}

export interface BtrfsProfile {
  file: string;
  target: string;
  mirror: string;
  snapshot: string;
}

/** Writes `<work>/<name>.ini`: btrfs snapshot of `data`, dar into a fresh target, rsync mirror; binds and [dar] optional. */
export async function writeBtrfsProfile(dirs: ProfileDirs, name: string, options: { binds?: boolean; subvolume?: string; dar?: string } = {}): Promise<BtrfsProfile> {
  const target = join(dirs.work, `target-${name}`);
  const mirror = join(dirs.work, `mirror-${name}`);
  await mkdir(target);
  await mkdir(mirror);
  const file = join(dirs.work, `${name}.ini`);
  await writeFile(
    file,
    `[btrfs]
subvolume = ${options.subvolume ?? dirs.data}
snapshot_dir = ${dirs.snaps}
snapshot_name = ${name}-snap

[backup]
source_type = btrfs
target = ${target}
archive_prefix = ${name}-
${options.binds ? `\n[bindmounts]\nequals = ${dirs.bindSource}\n` : ''}
[rsync]
enabled = true
target_dir = ${mirror}
${options.dar ? `\n[dar]\n${options.dar}\n` : ''}`,
  );
  return { file, target, mirror, snapshot: join(dirs.snaps, `${name}-snap`) };
}
