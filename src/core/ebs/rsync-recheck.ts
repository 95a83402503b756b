import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { throwIfAborted } from '../../util/poll.js';

/**
 * Regular files by relative path (the name's bytes as latin1, so any name maps back exactly), each to
 * "size mtime-ns ctime-ns inode": one short string a file, about 130 bytes of memory with its key.
 */
export type TreeState = Map<string, string>;

const SLASH = Buffer.from('/');

/**
 * Walks the tree without following symlinks; entries that cannot be read are left out (measuring refused them).
 * One directory at a time with synchronous calls, yielding between directories: several times faster than a
 * round trip through libuv's thread pool per file, and Ctrl-C is still heard between directories.
 */
export async function regularFileStates(root: string, signal?: AbortSignal): Promise<TreeState> {
  const states: TreeState = new Map();
  const rootBytes = Buffer.from(root);
  const full = (rel: Buffer): Buffer => (rel.length === 0 ? rootBytes : Buffer.concat([rootBytes, SLASH, rel]));
  const pending: Buffer[] = [Buffer.alloc(0)];
  while (pending.length > 0) {
    await yieldToEvents();
    throwIfAborted(signal);
    const rel = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(full(rel), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const child = rel.length === 0 ? entry.name : Buffer.concat([rel, SLASH, entry.name]);
      if (entry.isDirectory()) pending.push(child);
      if (!entry.isFile()) continue;
      const info = statOrNothing(full(child));
      if (info?.isFile()) states.set(child.toString('latin1'), `${info.size} ${info.mtimeNs} ${info.ctimeNs} ${info.ino}`);
    }
  }
  return states;
}

function statOrNothing(path: Buffer): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

/**
 * rsync reads each file once and does not notice a file that grows or shrinks under it. The tree's regular files
 * are stat'ed just before rsync starts and again right after it ends: a file whose size, modification time, change
 * time or inode differs between the two changed while (or just after) it was copied. The change time catches a
 * writer that puts the old modification time back; the inode, a file replaced by another. Files created meanwhile
 * are not counted (they are simply not in this backup); files deleted meanwhile are rsync's to report (exit 24).
 * Local and exact to the nanosecond, so no second rsync pass over the network is needed. Returns the files in both
 * states that differ, as their names' bytes, in a stable order.
 */
export function changedBetween(before: TreeState, after: TreeState): Buffer[] {
  const changed: Buffer[] = [];
  for (const [name, was] of before) {
    const now = after.get(name);
    if (now !== undefined && now !== was) changed.push(Buffer.from(name, 'latin1'));
  }
  return changed.sort(Buffer.compare);
}
