import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { escapeName } from '../../util/escape-name.js';

/**
 * What `offsite verify` can read as its local side: a directory, a disk or partition, or a disk image. Resolves
 * with its kind, or throws the one-line reason (missing, unreadable, something else). Read-only.
 */
export async function checkVerifySource(path: string): Promise<'directory' | 'device' | 'image'> {
  const shown = escapeName(path);
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(error.code === 'ENOENT' ? `${shown}: no such directory, device or image` : `${shown}: cannot read (${error.code ?? 'error'})`);
  });
  const kind = info.isDirectory() ? 'directory' : info.isBlockDevice() ? 'device' : info.isFile() ? 'image' : undefined;
  if (!kind) throw new UsageError(`${shown}: not a directory, block device or disk image`);
  await access(path, constants.R_OK | (kind === 'directory' ? constants.X_OK : 0)).catch(() => {
    throw new UsageError(`${shown}: ${kind} is not readable`);
  });
  return kind;
}
