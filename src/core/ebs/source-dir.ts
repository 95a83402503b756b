import { accessSync, constants, lstatSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { escapeName } from '../../util/escape-name.js';
import { walkTree } from '../host/tree-walk.js';

export interface DirMeasure {
  /** Sum of apparent sizes of regular files and symlink targets' lengths (what `du -sb` counts, roughly). */
  bytes: number;
  /** Estimated size of a GNU tar stream of the tree (headers + allocated data, 512-byte blocks); a progress total. */
  tarBytesEstimate: number;
  files: number;
  directories: number;
  /** Paths (relative, escaped for printing) that could not be read; tar and rsync will fail on them. */
  unreadable: string[];
  /** Entries too deep to reach with one path (over 4096 bytes): not counted, left to tar and rsync. */
  unmeasured: number;
}

/** A readable directory or a usage error that names the problem in one line. */
export async function checkSourceDir(dir: string): Promise<void> {
  const shown = escapeName(dir);
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${shown}: no such directory`);
    if (code === 'EACCES') throw new UsageError(`${shown}: permission denied`);
    throw new UsageError(`${shown}: cannot read (${code ?? 'error'})`);
  }
  if (!info.isDirectory()) throw new UsageError(`${shown}: not a directory`);
  try {
    await access(dir, constants.R_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${shown}: directory is not readable`);
  }
}

const TAR_BLOCK = 512;
const roundUp = (n: number): number => Math.ceil(n / TAR_BLOCK) * TAR_BLOCK;

/**
 * Walks the tree without following symlinks, depth first in listing order (the order tar meets the entries).
 * Names are bytes (a name that is not UTF-8 is as good as any to tar and rsync), and a path longer than the
 * kernel takes in one call (over 4096 bytes) is left unmeasured rather than called unreadable: tar and rsync
 * walk relative to each directory and judge it themselves. Each file is looked at with synchronous calls: several
 * times faster than a thread-pool round trip per file; the walker still yields (and hears Ctrl-C) per directory.
 */
export async function measureDir(root: string, signal?: AbortSignal): Promise<DirMeasure> {
  const measure: DirMeasure = { bytes: 0, tarBytesEstimate: TAR_BLOCK * 3, files: 0, directories: 1, unreadable: [], unmeasured: 0 };
  await walkTree(
    root,
    async (entry) => {
      const { dirent } = entry;
      const rel = entry.rel;
      // Long names cost GNU tar an extra header plus the name itself.
      if (rel.length > 99) measure.tarBytesEstimate += TAR_BLOCK + roundUp(rel.length + 1);
      measure.tarBytesEstimate += TAR_BLOCK;
      if (dirent.isDirectory()) {
        measure.directories++;
      } else if (dirent.isFile()) {
        measure.files++;
        try {
          const info = lstatSync(entry.path);
          measure.bytes += info.size;
          const allocated = info.blocks * 512;
          measure.tarBytesEstimate += roundUp(allocated < info.size ? allocated : info.size);
          accessSync(entry.path, constants.R_OK);
        } catch (error) {
          noteFailure(measure, rel, error);
        }
      } else if (dirent.isSymbolicLink()) {
        measure.files++;
      }
    },
    { signal, onDirError: (dir, error) => noteFailure(measure, dir.rel, error) },
  );
  return measure;
}

function noteFailure(measure: DirMeasure, rel: Buffer, error: unknown): void {
  if ((error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') measure.unmeasured++;
  else measure.unreadable.push(rel.length === 0 ? '.' : escapeName(rel));
}

/** ceil(2 × bytes / GiB), at least 1: the rule the original tool documented. */
export function volumeSizeFor(bytes: number): number {
  return Math.max(1, Math.ceil((2 * bytes) / 2 ** 30));
}
