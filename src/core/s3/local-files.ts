import { constants } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeUtf8, escapeName } from '../../util/escape-name.js';
import { walkTree } from '../host/tree-walk.js';

export interface LocalFile {
  /** Path below the source, with '/' separators: the key suffix. */
  rel: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export interface SourceScan {
  files: LocalFile[];
  /** Not regular files (symlinks, sockets, devices): S3 holds bytes, so these are reported, not stored. Escaped. */
  skipped: string[];
  /** Escaped. */
  unreadable: string[];
  /** Names that are not UTF-8 (S3 keys must be): each is reported and not stored; the rest of the tree is. Escaped. */
  notUtf8: string[];
}

/** Cedar's indicator files (cback.collect, cback.stage, cback.amazons3 …), matched on the name only. */
export const isIndicator = (rel: string): boolean => /^cback\./.test(rel.slice(rel.lastIndexOf('/') + 1));

/**
 * Lists the regular files below `root`, sorted by path. Symlinks are not followed unless `followSymlinks` (Cedar
 * stores a link as its target's bytes); a link to a directory is never descended. Names are read as bytes, so a
 * name that is not UTF-8 is refused on its own instead of turning into a path that does not exist.
 */
export async function scanSource(root: string, options: { skipIndicators: boolean; followSymlinks?: boolean }, signal?: AbortSignal): Promise<SourceScan> {
  const scan: SourceScan = { files: [], skipped: [], unreadable: [], notUtf8: [] };
  await walkTree(
    root,
    async (entry) => {
      const name = decodeUtf8(entry.name);
      if (name === undefined) {
        scan.notUtf8.push(escapeName(entry.rel));
        return false;
      }
      const { dirent } = entry;
      if (dirent.isDirectory()) return;
      const child = entry.relText;
      const path = join(root, child);
      const link = dirent.isSymbolicLink() && options.followSymlinks;
      if (dirent.isFile() || link) {
        if (options.skipIndicators && isIndicator(child)) return;
        try {
          await access(path, constants.R_OK);
          const info = await (link ? stat(path) : lstat(path));
          if (!info.isFile()) scan.skipped.push(escapeName(child));
          else scan.files.push({ rel: child, path, size: info.size, mtimeMs: info.mtimeMs });
        } catch {
          scan.unreadable.push(escapeName(child));
        }
      } else {
        scan.skipped.push(escapeName(child));
      }
    },
    { signal, onDirError: (dir) => void scan.unreadable.push(escapeName(dir.isRoot ? '.' : dir.relText)) },
  );
  scan.files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return scan;
}
