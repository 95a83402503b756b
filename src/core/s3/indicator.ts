import { execFile } from 'node:child_process';
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const STORE_INDICATOR = 'cback.amazons3';

/** uid or gid of a name through NSS (getent), so LDAP users work too; undefined when unknown. */
async function lookupId(database: 'passwd' | 'group', name: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('getent', [database, name]);
    const id = Number(stdout.split(':')[2]);
    return Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cedar's writeIndicatorFile: an empty cback.amazons3 in the staging directory. When we run as root it is given to
 * backup_user:backup_group as Cedar did, so Cedar's purge (running as that user) can remove the directory later.
 * Returns a warning when the owner could not be set.
 */
export async function writeStoreIndicator(dir: string, owner: { user?: string; group?: string }): Promise<{ path: string; warning?: string }> {
  const path = join(dir, STORE_INDICATOR);
  await writeFile(path, '', { mode: 0o644 });
  if (process.getuid?.() !== 0 || (!owner.user && !owner.group)) return { path };
  const uid = owner.user ? await lookupId('passwd', owner.user) : -1;
  const gid = owner.group ? await lookupId('group', owner.group) : -1;
  if (uid === undefined || gid === undefined) {
    return { path, warning: `${path}: could not give it to ${owner.user ?? ''}:${owner.group ?? ''} (no such ${uid === undefined ? 'user' : 'group'})` };
  }
  await chown(path, uid, gid);
  return { path };
}
