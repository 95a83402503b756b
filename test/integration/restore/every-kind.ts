import { execFile } from 'node:child_process';
import { chmod, chown, link, lchown, mkdir, open, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pseudoRandom } from '../../helpers/trees.js';

const run = promisify(execFile);

export interface EveryKindOptions {
  /** Size of the sparse file (data at both ends, a hole between). */
  sparseBytes: number;
  /** FIFO and device node (tar carries them; S3 cannot). */
  specials: boolean;
  /** A name that is not valid UTF-8 (S3 keys must be UTF-8). */
  nonUtf8: boolean;
  /** Hard links (S3 holds them as separate copies). */
  hardLinks: boolean;
  /** A newline in a name (moto's S3 cannot list such a key). */
  newlineName: boolean;
}

/** The names that break naive tools: blanks, quotes, a newline, a leading dash, a 255-byte name. */
export const ODD_NAMES = ['name with spaces', `quote's "double" $dollar`, 'new\nline', '-leading-dash', '--also-an-option', 'x'.repeat(255)];

/**
 * A tree with every kind of entry a restore must bring back as it was: regular, empty and sparse files, hard
 * links, symlinks (relative, absolute, dangling, to a directory), an empty directory, odd modes and owners,
 * old mtimes, and (where the mode can carry them) a FIFO, a device node and a non-UTF-8 name.
 */
export async function makeEveryKindTree(root: string, options: EveryKindOptions): Promise<void> {
  await mkdir(join(root, 'dir', 'nested'), { recursive: true });
  await mkdir(join(root, 'empty dir'));
  await writeFile(join(root, 'dir', 'nested', 'deep.bin'), pseudoRandom(300_000, 1));
  await writeFile(join(root, 'empty file'), '');
  await writeFile(join(root, 'script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'script.sh'), 0o755);
  await writeFile(join(root, 'private'), 'secret-ish\n');
  await chmod(join(root, 'private'), 0o600);
  await writeFile(join(root, 'setgid-dir-file'), 'odd mode\n');
  await chmod(join(root, 'setgid-dir-file'), 0o2751);
  await writeFile(join(root, 'owned'), 'by someone else\n');
  await chown(join(root, 'owned'), 1234, 5678);
  await writeFile(join(root, 'original'), pseudoRandom(70_000, 2));
  if (options.hardLinks) {
    await link(join(root, 'original'), join(root, 'hard link'));
    await link(join(root, 'original'), join(root, 'dir', 'another hard link'));
  }
  await symlink('original', join(root, 'relative symlink'));
  await symlink('/etc/hostname', join(root, 'absolute symlink'));
  await symlink('/nonexistent/target', join(root, 'dangling symlink'));
  await symlink('dir', join(root, 'dir symlink'));
  await lchown(join(root, 'dangling symlink'), 4321, 8765);
  for (const [i, name] of ODD_NAMES.entries()) {
    if (name.includes('\n') && !options.newlineName) continue;
    await writeFile(join(root, 'dir', name), `odd name ${i}\n`);
  }
  await writeFile(join(root, 'ünïcødé ☃.txt'), 'café\n');
  if (options.nonUtf8) await writeFile(Buffer.from(`${root}/latin1-\xe9t\xe9`, 'latin1'), 'not utf-8\n');
  if (options.specials) {
    await run('mkfifo', ['-m', '0640', join(root, 'fifo')]);
    await run('mknod', ['-m', '0600', join(root, 'null-device'), 'c', '1', '3']);
  }
  const sparse = join(root, 'sparse.img');
  const handle = await open(sparse, 'w');
  await handle.write(pseudoRandom(4096, 3), 0, 4096, 0);
  await handle.write(pseudoRandom(4096, 4), 0, 4096, options.sparseBytes - 4096);
  await handle.close();
  const old = new Date('2001-02-03T04:05:06Z');
  await utimes(join(root, 'original'), old, old);
  await utimes(join(root, 'empty dir'), old, old);
  await utimes(join(root, 'dir', 'nested'), old, old);
}

export interface Described {
  /** path → "type mode uid gid mtime size target content", everything a faithful restore reproduces. */
  entries: Map<string, string>;
  /** Hard-link groups: sorted paths sharing an inode, one string per group. */
  linkGroups: string[];
  /** Allocated bytes of each regular file (holes must stay holes). */
  allocated: Map<string, number>;
}

/**
 * Describes a tree with find(1) and sha256sum(1) rather than Node's fs: names are bytes (non-UTF-8 survives) and
 * a newline in a name cannot split a record (NUL-separated throughout).
 */
export async function describeEveryKind(root: string, options: { mtimes?: boolean; owners?: boolean } = {}): Promise<Described> {
  const big = { maxBuffer: 256 * 1024 * 1024, encoding: 'latin1' as const, env: { ...process.env, LC_ALL: 'C' } };
  const { stdout: listing } = await run('find', ['.', '-mindepth', '1', '-printf', '%P\\0%y %m %U %G %T@ %s %i %n %b\\0%l\\0'], { ...big, cwd: root });
  const { stdout: sums } = await run('sh', ['-c', 'find . -type f -print0 | xargs -0 -r sha256sum -z --'], { ...big, cwd: root });
  const digests = new Map<string, string>();
  for (const record of sums.split('\0')) {
    const m = /^\\?([0-9a-f]{64}) [ *](.*)$/s.exec(record);
    if (m) digests.set(m[2]!.replace(/^\.\//, ''), m[1]!);
  }
  const fields = listing.split('\0');
  const entries = new Map<string, string>();
  const inodes = new Map<string, string[]>();
  const allocated = new Map<string, number>();
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const path = fields[i]!;
    const [type, mode, uid, gid, mtime, size, inode, nlink, blocks] = fields[i + 1]!.split(' ');
    const target = fields[i + 2]!;
    const seconds = type === 'l' || options.mtimes === false ? '-' : String(Math.floor(Number(mtime)));
    const owner = options.owners === false ? '-' : `${uid}:${gid}`;
    entries.set(path, [type, type === 'l' ? '-' : mode, owner, seconds, type === 'd' ? '-' : size, target || '-', digests.get(path) ?? '-'].join(' '));
    if (type === 'f') {
      allocated.set(path, Number(blocks) * 512);
      if (Number(nlink) > 1) inodes.set(inode!, [...(inodes.get(inode!) ?? []), path]);
    }
  }
  const linkGroups = [...inodes.values()].map((paths) => paths.sort().join(' | ')).sort();
  return { entries, linkGroups, allocated };
}

/** Every difference between two described trees, readable; empty means the same. */
export function describedDifferences(expected: Described, actual: Described): string[] {
  const out: string[] = [];
  for (const [path, want] of expected.entries) {
    const got = actual.entries.get(path);
    if (got === undefined) out.push(`missing: ${JSON.stringify(path)}`);
    else if (got !== want) out.push(`differs: ${JSON.stringify(path)}: ${want} != ${got}`);
  }
  for (const path of actual.entries.keys()) if (!expected.entries.has(path)) out.push(`extra: ${JSON.stringify(path)}`);
  if (JSON.stringify(expected.linkGroups) !== JSON.stringify(actual.linkGroups)) out.push(`hard-link groups: ${JSON.stringify(expected.linkGroups)} != ${JSON.stringify(actual.linkGroups)}`);
  return out;
}
