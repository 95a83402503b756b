import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { BackupMethod } from './plan.js';

/** vol- followed by 8 (old) or 17 (current) lower-case hex digits. */
export const VOLUME_ID = /^vol-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const SNAPSHOT_ID = /^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export function parseMethod(value: string | undefined): BackupMethod {
  if (value === undefined || value === 'dd') return 'dd';
  if (value === 'rsync') return 'rsync';
  throw new UsageError(`unknown method '${value}' (use dd or rsync)`, { input: 'method' });
}

export function parseVolumeId(value: string): string {
  const trimmed = value.trim();
  if (!VOLUME_ID.test(trimmed)) throw new UsageError(`'${value}' is not a volume id (vol- and 8 or 17 hex digits)`, { input: 'volume' });
  return trimmed;
}

export function absoluteDir(dir: string, cwd = process.cwd()): string {
  if (dir.trim() === '') throw new UsageError('the directory to back up is empty');
  return isAbsolute(dir) ? resolve(dir) : resolve(cwd, dir);
}
