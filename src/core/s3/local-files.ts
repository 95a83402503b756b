import { constants } from 'node:fs';
import { access, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError } from '../errors.js';

export interface LocalFile {
  /** Path below the source, with '/' separators: the key suffix. */
  rel: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export interface SourceScan {
  files: LocalFile[];
  /** Not regular files (symlinks, sockets, devices): S3 holds bytes, so these are reported, not stored. */
  skipped: string[];
  unreadable: string[];
}

/** Cedar's indicator files (cback.collect, cback.stage, cback.amazons3 …), matched on the name only. */
export const isIndicator = (rel: string): boolean => /^cback\./.test(rel.slice(rel.lastIndexOf('/') + 1));

/** Lists the regular files below `root`, sorted by path, without following symlinks. */
export async function scanSource(root: string, options: { skipIndicators: boolean }, signal?: AbortSignal): Promise<SourceScan> {
  const scan: SourceScan = { files: [], skipped: [], unreadable: [] };
  async function walk(rel: string): Promise<void> {
    if (signal?.aborted) throw new InterruptedError();
    const dir = rel ? join(root, rel) : root;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      scan.unreadable.push(rel || '.');
      return;
    }
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      const path = join(root, child);
      if (entry.isDirectory()) {
        await walk(child);
      } else if (entry.isFile()) {
        if (options.skipIndicators && isIndicator(child)) continue;
        try {
          await access(path, constants.R_OK);
          const info = await lstat(path);
          scan.files.push({ rel: child, path, size: info.size, mtimeMs: info.mtimeMs });
        } catch {
          scan.unreadable.push(child);
        }
      } else {
        scan.skipped.push(child);
      }
    }
  }
  await walk('');
  scan.files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return scan;
}
