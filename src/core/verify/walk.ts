import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { throwIfAborted } from '../../util/poll.js';

export interface TreeListing {
  files: number;
  /** Symlinks, devices, FIFOs, sockets: never followed or opened. */
  skipped: number;
  /** Directories that could not be listed: their files cannot be checked. */
  unreadable: { path: string; reason: string }[];
}

/**
 * Lists the regular files below `root` with up to `forks` directory reads in flight; `onFile` sees each one's
 * path relative to the root ('/'-separated). Only the names are read (no stat per file), so a tree of 100 000
 * files lists in well under a second; sizes are taken when a sampled file is opened.
 */
export async function listTree(root: string, options: { forks: number; signal?: AbortSignal; onFile: (path: string) => void }): Promise<TreeListing> {
  const { signal, onFile } = options;
  const limit = pLimit(options.forks);
  const listing: TreeListing = { files: 0, skipped: 0, unreadable: [] };
  const running = new Set<Promise<void>>();

  const readOne = async (rel: string): Promise<void> => {
    throwIfAborted(signal);
    let entries;
    try {
      entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch (error) {
      listing.unreadable.push({ path: rel ? `${rel}/` : './', reason: errorText(error) });
      return;
    }
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(child);
      else if (entry.isFile()) {
        listing.files++;
        onFile(child);
      } else listing.skipped++;
    }
  };
  const visit = (rel: string): void => {
    const task: Promise<void> = limit(() => readOne(rel)).finally(() => running.delete(task));
    running.add(task);
  };

  visit('');
  while (running.size > 0) await Promise.all([...running]);
  return listing;
}

/** Errors a failing disk or filesystem gives that libuv has no name for (it says "Unknown system error -117"). */
const UNNAMED_ERRNO: Record<number, [string, string]> = {
  117: ['EUCLEAN', 'Structure needs cleaning'],
  121: ['EREMOTEIO', 'Remote I/O error'],
};

/** "permission denied (EACCES)", "Structure needs cleaning (EUCLEAN)": the errno's own words, one line. */
export function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const unnamed = typeof e?.errno === 'number' ? UNNAMED_ERRNO[Math.abs(e.errno)] : undefined;
  if (unnamed) return `${unnamed[1]} (${unnamed[0]})`;
  if (e?.code && typeof e.message === 'string') {
    const words = /^[A-Z]+: ([^,]+),/.exec(e.message)?.[1];
    return words ? `${words} (${e.code})` : e.code;
  }
  return e instanceof Error ? e.message.split('\n')[0]! : String(error);
}
