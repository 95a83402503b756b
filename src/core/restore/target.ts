import { chmod, lstat, mkdtemp, readdir, rename, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OffsiteError, UsageError } from '../../errors.js';
import { runCommand } from '../host/command.js';
import { walkTree } from '../host/tree-walk.js';
import type { Emit } from '../phases.js';

export type TargetState = 'absent' | 'empty' | 'non-empty';

/**
 * TARGET must be an empty directory or not exist (its parent must), unless the user asked to overwrite.
 * Checked before anything else, locally, so a refusal costs nothing.
 */
export async function checkTarget(target: string, overwrite: boolean): Promise<TargetState> {
  const info = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new UsageError(`${target}: cannot read (${error.code ?? 'error'})`);
  });
  if (!info) {
    const parent = await lstat(dirname(target)).catch(() => undefined);
    if (!parent?.isDirectory()) throw new UsageError(`${target}: its parent directory ${dirname(target)} does not exist`);
    return 'absent';
  }
  if (!info.isDirectory()) throw new UsageError(`${target}: not a directory`);
  if ((await readdir(target)).length === 0) return 'empty';
  if (!overwrite) throw new UsageError(`${target} is not empty: restore into an empty or new directory`, { remedy: 'overwrite' });
  return 'non-empty';
}

/**
 * A directory beside TARGET (same filesystem, so moving into place is a rename) that receives the restore
 * until the source is proved. Nothing reaches TARGET before `promote`.
 */
export interface Staging {
  readonly dir: string;
  /** Moves the restored tree into TARGET: a rename when TARGET is absent or empty, a merge with --overwrite. */
  promote(): Promise<void>;
  /** Removes the staging directory and everything in it; safe to call twice. */
  discard(): Promise<void>;
}

export async function openStaging(target: string, emit: Emit): Promise<Staging> {
  const dir = await mkdtemp(join(dirname(target), `.${basename(target)}.offsite-restore-`));
  // mkdtemp's 0700 would become TARGET's mode where the backup does not carry its root (S3).
  await chmod(dir, 0o755);
  emit({ type: 'resource-created', kind: 'staging-area', id: dir });
  let gone = false;
  const discard = async (): Promise<void> => {
    if (gone) return;
    await removeTree(dir);
    gone = true;
    emit({ type: 'resource-released', kind: 'staging-area', id: dir, action: 'removed' });
  };
  return {
    dir,
    discard,
    async promote() {
      const state = await checkTarget(target, true);
      if (state === 'empty') await rmdir(target);
      if (state === 'non-empty') {
        await mergeInto(dir, target);
        await discard();
        return;
      }
      await rename(dir, target);
      gone = true;
      emit({ type: 'resource-released', kind: 'staging-area', id: dir, action: 'kept' });
    },
  };
}

/** Directories merge; anything else in the way is replaced by the restored entry. */
async function mergeInto(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    const source = join(from, name);
    const dest = join(to, name);
    const [have, incoming] = await Promise.all([lstat(dest).catch(() => undefined), lstat(source)]);
    if (have?.isDirectory() && incoming.isDirectory()) {
      await mergeInto(source, dest);
      continue;
    }
    if (have) await removeTree(dest);
    await rename(source, dest);
  }
}

/** `rm -rf`: unlike fs.rm it copes with paths longer than PATH_MAX, which a restored tree may hold. */
export async function removeTree(path: string): Promise<void> {
  await runLocal('rm', ['-rf', '--one-file-system', '--', path], `removing ${path}`);
}

/** Entries (directories aside) and bytes of regular files under `dir`, as find counts them (no PATH_MAX limit). */
export async function countTree(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  try {
    await walkTree(
      dir,
      async (entry) => {
        if (entry.dirent.isDirectory()) return;
        files++;
        if (entry.dirent.isFile()) bytes += (await lstat(entry.path)).size;
      },
      { longPaths: true },
    );
  } catch (error) {
    throw new OffsiteError(`counting ${dir} failed: ${(error as Error).message.split('\n')[0]}`);
  }
  return { files, bytes };
}

async function runLocal(command: string, args: string[], what: string): Promise<string> {
  const result = await runCommand([command, ...args], { keepBytes: Number.MAX_SAFE_INTEGER, locale: 'inherit' });
  if (result.code === 0) return result.stdout;
  throw new OffsiteError(`${what} failed: ${result.stderr.trim().split('\n')[0] || `exit ${result.code}`}`);
}

/** Include paths as the user typed them, made relative and clean; `..` or an absolute path is a usage error. */
export function normalizeIncludes(paths: string[]): string[] {
  return paths.map((raw) => {
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0 || parts.includes('..')) throw new UsageError(`give a path inside the backup, without '..'`, { input: 'include', value: `'${raw}'` });
    return parts.join('/');
  });
}
