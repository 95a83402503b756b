import { walkTree } from '../host/tree-walk.js';

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
  const listing: TreeListing = { files: 0, skipped: 0, unreadable: [] };
  await walkTree(
    root,
    (entry) => {
      const { dirent } = entry;
      if (dirent.isDirectory()) return;
      if (dirent.isFile()) {
        listing.files++;
        onFile(entry.relText);
      } else listing.skipped++;
    },
    {
      concurrency: options.forks,
      ...(signal ? { signal } : {}),
      onDirError: (dir, error) => void listing.unreadable.push({ path: dir.rel.length > 0 ? `${dir.relText}/` : './', reason: errorText(error) }),
    },
  );
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
