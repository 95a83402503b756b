import { constants } from 'node:fs';
import { access, lstat, opendir, stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { throwIfAborted } from '../util/poll.js';

export interface DirMeasure {
  /** Sum of apparent sizes of regular files and symlink targets' lengths (what `du -sb` counts, roughly). */
  bytes: number;
  /** Estimated size of a GNU tar stream of the tree (headers + allocated data, 512-byte blocks); a progress total. */
  tarBytesEstimate: number;
  files: number;
  directories: number;
  /** Paths (relative) that could not be read; tar and rsync will fail on them. */
  unreadable: string[];
}

/** A readable directory or a usage error that names the problem in one line. */
export async function checkSourceDir(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${dir}: no such directory`);
    if (code === 'EACCES') throw new UsageError(`${dir}: permission denied`);
    throw new UsageError(`${dir}: cannot read (${code ?? 'error'})`);
  }
  if (!info.isDirectory()) throw new UsageError(`${dir}: not a directory`);
  try {
    await access(dir, constants.R_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${dir}: directory is not readable`);
  }
}

const TAR_BLOCK = 512;
const roundUp = (n: number): number => Math.ceil(n / TAR_BLOCK) * TAR_BLOCK;

/**
 * Walks the tree without following symlinks and without holding more than one directory listing at a time.
 * Names are handled as bytes: a name that is not valid UTF-8 is still a name tar and rsync carry.
 */
export async function measureDir(root: string, signal?: AbortSignal): Promise<DirMeasure> {
  const measure: DirMeasure = { bytes: 0, tarBytesEstimate: TAR_BLOCK * 2, files: 0, directories: 0, unreadable: [] };
  const base = Buffer.from(root);
  const full = (rel: Buffer): Buffer => (rel.length === 0 ? base : Buffer.concat([base, SLASH, rel]));
  const pending: Buffer[] = [Buffer.alloc(0)];
  while (pending.length > 0) {
    throwIfAborted(signal);
    const rel = pending.pop()!;
    measure.directories++;
    measure.tarBytesEstimate += TAR_BLOCK;
    let handle;
    try {
      handle = await opendir(full(rel), { encoding: 'buffer' as BufferEncoding });
    } catch {
      measure.unreadable.push(rel.length > 0 ? rel.toString() : '.');
      continue;
    }
    for await (const entry of handle) {
      const name = entry.name as unknown as Buffer;
      const child = rel.length > 0 ? Buffer.concat([rel, SLASH, name]) : name;
      // Long names cost GNU tar an extra header plus the name itself.
      if (child.length > 99) measure.tarBytesEstimate += TAR_BLOCK + roundUp(child.length + 1);
      if (entry.isDirectory()) {
        pending.push(child);
        continue;
      }
      measure.tarBytesEstimate += TAR_BLOCK;
      if (entry.isFile()) {
        measure.files++;
        try {
          const info = await lstat(full(child));
          measure.bytes += info.size;
          const allocated = info.blocks * 512;
          measure.tarBytesEstimate += roundUp(allocated < info.size ? allocated : info.size);
          await access(full(child), constants.R_OK);
        } catch {
          measure.unreadable.push(child.toString());
        }
      } else if (entry.isSymbolicLink()) {
        measure.files++;
      }
    }
  }
  return measure;
}

const SLASH = Buffer.from('/');

/** ceil(2 × bytes / GiB), at least 1: the rule the original tool documented. */
export function volumeSizeFor(bytes: number): number {
  return Math.max(1, Math.ceil((2 * bytes) / 2 ** 30));
}
