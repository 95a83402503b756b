import { createHash } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, readdir, readFile, readlink, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A tree that exercises what backups get wrong: spaces and unicode in names, symlinks (also dangling),
 * hard links, empty files and directories, a large sparse file, exec bits, odd modes, old mtimes.
 */
export async function makeTrickyTree(root: string, options: { sparseMiB?: number } = {}): Promise<void> {
  await mkdir(join(root, 'dir with spaces', 'nested deeper'), { recursive: true });
  await mkdir(join(root, 'ünïcødé ☃'), { recursive: true });
  await mkdir(join(root, 'empty dir'), { recursive: true });
  await writeFile(join(root, 'dir with spaces', 'a file.txt'), 'hello, world\n');
  await writeFile(join(root, 'dir with spaces', 'nested deeper', 'deep.bin'), pseudoRandom(300_000, 1));
  await writeFile(join(root, 'ünïcødé ☃', 'naïve résumé.md'), '# café\n');
  await writeFile(join(root, 'empty file'), '');
  await writeFile(join(root, 'script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'script.sh'), 0o755);
  await writeFile(join(root, 'private'), 'secret-ish\n');
  await chmod(join(root, 'private'), 0o600);
  await writeFile(join(root, 'original'), pseudoRandom(70_000, 2));
  await link(join(root, 'original'), join(root, 'hard link to original'));
  await symlink('original', join(root, 'relative symlink'));
  await symlink('/nonexistent/target', join(root, 'dangling symlink'));
  await symlink('dir with spaces', join(root, 'dir symlink'));
  await writeFile(join(root, "quote's \"and\" $dollar"), 'shell metacharacters\n');
  await writeFile(join(root, 'long-' + 'x'.repeat(150)), 'long name\n');
  // Sparse: data at the start, a hole, data at the end.
  const sparse = join(root, 'sparse.img');
  const handle = await open(sparse, 'w');
  const size = (options.sparseMiB ?? 64) * 1024 * 1024;
  await handle.write(pseudoRandom(4096, 3), 0, 4096, 0);
  await handle.write(pseudoRandom(4096, 4), 0, 4096, size - 4096);
  await handle.close();
  await utimes(join(root, 'original'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
}

/** Deterministic bytes (xorshift), so trees are reproducible and incompressible. */
export function pseudoRandom(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  size?: number;
  sha256?: string;
  target?: string;
  mtimeSeconds?: number;
  /** Index of the hard-link group (same inode), when nlink > 1. */
  linkGroup?: string;
}

/** Describes a tree: everything a faithful backup must reproduce, byte for byte. */
export async function describeTree(root: string, ignore: string[] = []): Promise<Map<string, TreeEntry>> {
  const result = new Map<string, TreeEntry>();
  const inodes = new Map<number, string>();
  async function walk(rel: string): Promise<void> {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const child = rel ? `${rel}/${name}` : name;
      if (ignore.includes(child)) continue;
      const full = join(root, child);
      const info = await lstat(full);
      const mode = info.mode & 0o7777;
      if (info.isDirectory()) {
        result.set(child, { type: 'dir', mode });
        await walk(child);
      } else if (info.isSymbolicLink()) {
        result.set(child, { type: 'symlink', mode: 0, target: await readlink(full) });
      } else if (info.isFile()) {
        let linkGroup: string | undefined;
        if (info.nlink > 1) {
          linkGroup = inodes.get(info.ino) ?? child;
          inodes.set(info.ino, linkGroup);
        }
        result.set(child, {
          type: 'file',
          mode,
          size: info.size,
          sha256: createHash('sha256').update(await readFile(full)).digest('hex'),
          mtimeSeconds: Math.floor(info.mtimeMs / 1000),
          ...(linkGroup ? { linkGroup } : {}),
        });
      } else {
        result.set(child, { type: 'other', mode });
      }
    }
  }
  await walk('');
  return result;
}

/** Lists every difference between two described trees; empty means identical. */
export function treeDifferences(expected: Map<string, TreeEntry>, actual: Map<string, TreeEntry>): string[] {
  const differences: string[] = [];
  for (const [path, entry] of expected) {
    const other = actual.get(path);
    if (!other) differences.push(`missing: ${path}`);
    else if (JSON.stringify(entry) !== JSON.stringify(other)) differences.push(`differs: ${path}: ${JSON.stringify(entry)} != ${JSON.stringify(other)}`);
  }
  for (const path of actual.keys()) if (!expected.has(path)) differences.push(`extra: ${path}`);
  return differences;
}
