import { constants, type BigIntStats, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { throwIfAborted } from '../../util/poll.js';

const SLASH = Buffer.from('/');

/**
 * A name or path as the walk holds it: text while every name on the way is UTF-8 (Node lists text fastest), bytes
 * from the first one that is not (a name that is not UTF-8 is as real to the file system as any other).
 */
export type Name = string | Buffer;
const bytesOf = (name: Name): Buffer => (typeof name === 'string' ? Buffer.from(name) : name);
const joined = (a: Name, b: Name): Name => (typeof a === 'string' && typeof b === 'string' ? `${a}/${b}` : Buffer.concat([bytesOf(a), SLASH, bytesOf(b)]));

/** A directory of the walk. */
export class WalkDir {
  constructor(
    /** The path below the root, '/'-separated; empty for the root itself. */
    readonly relName: Name,
    /** The path the file system takes (the root joined with the relative path). */
    readonly path: Name,
  ) {}

  /** The path below the root as bytes. */
  get rel(): Buffer {
    return bytesOf(this.relName);
  }

  /** The path below the root as text; bytes that are not UTF-8 become U+FFFD, as in Node's own listings. */
  get relText(): string {
    return typeof this.relName === 'string' ? this.relName : this.relName.toString('utf8');
  }

  get isRoot(): boolean {
    return this.relName.length === 0;
  }
}

/** One entry of a listed directory; its paths are built only when asked for (most walks need few of them). */
export class WalkEntry {
  /** Set when the walk was asked to stat (`stat` option) and the call succeeded… */
  stats: Stats | BigIntStats | undefined;
  /** …or failed. */
  statError: NodeJS.ErrnoException | undefined;
  constructor(
    readonly dir: WalkDir,
    /** The entry's type as the directory listing gives it (a symlink is a symlink). */
    readonly dirent: Dirent<string> | Dirent<Buffer>,
  ) {}

  /** The entry's name as bytes. */
  get name(): Buffer {
    return bytesOf(this.dirent.name);
  }

  /** The path below the root as bytes. */
  get rel(): Buffer {
    return bytesOf(this.relName);
  }

  /** The path below the root as text, decoded like WalkDir.relText. */
  get relText(): string {
    const rel = this.relName;
    return typeof rel === 'string' ? rel : rel.toString('utf8');
  }

  /** The path the file system takes. */
  get path(): Name {
    return joined(this.dir.path, this.dirent.name);
  }

  get relName(): Name {
    return this.dir.isRoot ? this.dirent.name : joined(this.dir.relName, this.dirent.name);
  }
}

export interface TreeWalkOptions {
  signal?: AbortSignal;
  /**
   * Directory listings in flight at once. 1 (the default) walks depth first in listing order, a directory's
   * contents right after its entry (the order tar and find meet them); more lists faster, in no set order.
   */
  concurrency?: number;
  /** Stats each entry before the visitor sees it: `lstat` the entry itself, `stat` what a symlink points to. */
  stat?: 'lstat' | 'stat';
  bigint?: boolean;
  /** A directory (the root too) that could not be listed; without this, the walk stops with that error. */
  onDirError?: (dir: WalkDir, error: NodeJS.ErrnoException) => void;
  /**
   * Reach entries whose path is longer than the kernel takes (4096 bytes), as find does, through an open directory
   * (Linux's /proc/self/fd), whose path is good only while the visitor runs; depth first only. Without it such a
   * directory is a listing error (ENAMETOOLONG).
   */
  longPaths?: boolean;
}

/** Paths from here on are reached through an open directory; well below PATH_MAX, so a name added still fits. */
const LONG_PATH = 3072;

/** Sees each entry below the root (never the root itself); `false` keeps the walk out of a directory. */
export type TreeVisitor = (entry: WalkEntry) => boolean | void | Promise<boolean | void>;

/**
 * Walks the tree below `root` without following symlinks (a link to a directory is an entry, never descended).
 * Directories are read whole with their types, so a listing costs no stat per entry unless `stat` asks for one.
 */
export async function walkTree(root: string | Buffer, visit: TreeVisitor, options: TreeWalkOptions = {}): Promise<void> {
  const { signal, onDirError } = options;
  const statOne = options.stat === undefined ? undefined : options.stat === 'stat' ? stat : lstat;
  const statOptions = { bigint: options.bigint === true };

  /** Lists one directory and shows its entries; the subdirectories to enter go to `descend`. */
  const readOne = async (dir: WalkDir, descend: (child: WalkDir) => Promise<void> | void): Promise<void> => {
    throwIfAborted(signal);
    let dirents: Dirent<string>[] | Dirent<Buffer>[];
    try {
      dirents = await readdir(dir.path, { withFileTypes: true });
      // Text loses the bytes of a name that is not UTF-8 (each bad byte becomes U+FFFD): such a directory is read
      // again as bytes. Reading text first is what keeps a listing of 100 000 names quick.
      if (dirents.some((dirent) => dirent.name.includes('\uFFFD'))) dirents = await readdir(dir.path, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (!onDirError) throw error;
      onDirError(dir, error as NodeJS.ErrnoException);
      return;
    }
    for (const dirent of dirents) {
      const entry = new WalkEntry(dir, dirent);
      if (statOne) {
        try {
          entry.stats = await statOne(entry.path, statOptions);
        } catch (error) {
          entry.statError = error as NodeJS.ErrnoException;
        }
      }
      let wanted = visit(entry);
      if (wanted instanceof Promise) wanted = await wanted;
      if (wanted !== false && dirent.isDirectory()) {
        const pending = descend(new WalkDir(entry.relName, entry.path));
        if (pending) await pending;
      }
    }
  };

  const top = new WalkDir(typeof root === 'string' ? '' : Buffer.alloc(0), root);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  if (concurrency === 1) {
    const depthFirst = async (dir: WalkDir): Promise<void> => {
      if (!options.longPaths || Buffer.byteLength(dir.path) < LONG_PATH) return readOne(dir, depthFirst);
      // Too long for one call: the directory is opened once and reached through its descriptor from then on.
      let handle;
      try {
        handle = await open(dir.path, constants.O_RDONLY | constants.O_DIRECTORY);
      } catch (error) {
        if (!onDirError) throw error;
        return onDirError(dir, error as NodeJS.ErrnoException);
      }
      try {
        await readOne(new WalkDir(dir.relName, `/proc/self/fd/${handle.fd}`), depthFirst);
      } finally {
        await handle.close();
      }
    };
    await depthFirst(top);
    return;
  }

  // Up to `concurrency` listings at once; a directory found waits in `queued` until a slot is free.
  const queued: WalkDir[] = [];
  let active = 0;
  let failure: { error: unknown } | undefined;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      if (failure) {
        if (active === 0) reject(failure.error);
        return;
      }
      while (active < concurrency && queued.length > 0) {
        active++;
        readOne(queued.pop()!, (child) => {
          queued.push(child);
        }).then(
          () => {
            active--;
            pump();
          },
          (error: unknown) => {
            active--;
            failure ??= { error };
            pump();
          },
        );
      }
      if (active === 0 && queued.length === 0) resolve();
    };
    queued.push(top);
    pump();
  });
}
