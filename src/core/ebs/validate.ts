import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { BackupMethod } from './plan.js';

/** vol- followed by 8 (old) or 17 (current) lower-case hex digits. */
export const VOLUME_ID = /^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const SNAPSHOT_ID = /^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export function parseMethod(value: string | undefined, flag = '-m'): BackupMethod {
  if (value === undefined || value === 'dd') return 'dd';
  if (value === 'rsync') return 'rsync';
  throw new UsageError(`${flag}: unknown method '${value}' (use dd or rsync)`);
}

export function parseVolumeId(value: string, flag = '-v'): string {
  const trimmed = value.trim();
  if (!VOLUME_ID.test(trimmed)) throw new UsageError(`${flag}: '${value}' is not a volume id (vol- and 8 or 17 hex digits)`);
  return trimmed;
}

export function absoluteDir(dir: string, cwd = process.cwd()): string {
  if (dir.trim() === '') throw new UsageError('the directory to back up is empty');
  return isAbsolute(dir) ? resolve(dir) : resolve(cwd, dir);
}
