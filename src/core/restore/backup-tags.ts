import type { Tag } from '@aws-sdk/client-ec2';
import { UsageError } from '../../errors.js';
import type { BackupMethod } from '../ebs/plan.js';

/** What the offsite:* tags of a volume or snapshot say about the backup on it. */
export interface TaggedBackup {
  method?: BackupMethod;
  /** dd: length and SHA-256 of the tar stream at the start of the device. */
  ddBytes?: number;
  ddSha256?: string;
  /** `offsite:state`: complete, in-progress, inconsistent…; absent on backups made before the tag existed. */
  state?: string;
  source?: string;
  time?: string;
  /** Why the tags do not vouch for the backup; empty when they do. */
  doubts: string[];
}

export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

export function readBackupTags(tags: Tag[] | undefined): TaggedBackup {
  const t = tagMap(tags);
  const doubts: string[] = [];
  const method = t['offsite:method'] === 'dd' || t['offsite:method'] === 'rsync' ? t['offsite:method'] : undefined;
  if (!method) doubts.push('no offsite:method tag');
  const state = t['offsite:state'];
  if (state !== undefined && state !== 'complete') doubts.push(`offsite:state is ${state || 'empty'}`);
  if (!t['offsite:last-backup']) doubts.push('no offsite:last-backup tag (the backup never finished)');
  const backup: TaggedBackup = {
    ...(method ? { method } : {}),
    ...(state !== undefined ? { state } : {}),
    ...(t['offsite:source'] ? { source: t['offsite:source'] } : {}),
    ...(t['offsite:last-backup'] ? { time: t['offsite:last-backup'] } : {}),
    doubts,
  };
  if (method === 'dd') {
    const bytes = Number(t['offsite:dd-bytes']);
    const sha = t['offsite:dd-sha256'] ?? '';
    if (Number.isSafeInteger(bytes) && bytes > 0) backup.ddBytes = bytes;
    if (/^[0-9a-f]{64}$/.test(sha)) backup.ddSha256 = sha;
    if (backup.ddBytes === undefined || backup.ddSha256 === undefined) doubts.push('offsite:dd-bytes/offsite:dd-sha256 missing or malformed');
  }
  return backup;
}

/**
 * A backup whose tags do not vouch for it is refused unless the user insists; even then a dd image needs its
 * length, since nothing else says where the tar stream ends.
 */
export function checkRestorable(id: string, backup: TaggedBackup, force: boolean): void {
  if (backup.doubts.length > 0 && !force) {
    throw new UsageError(`${id} is not a complete, provable offsite backup (${backup.doubts.join('; ')})`, { remedy: 'force' });
  }
  if (backup.method === 'dd' && backup.ddBytes === undefined) {
    throw new UsageError(`${id}: a dd backup without a valid offsite:dd-bytes tag cannot be restored (nothing says where the image ends)`);
  }
}
