import { execFile } from 'node:child_process';
import { rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DeleteTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.js';
import { OffsiteError, describeError } from '../../errors.js';
import { terminateInstance } from '../instance/launch.js';
import { tagsOf } from '../ebs/proof.js';
import { TAG_LOCK } from '../instance/tags.js';
import { parseLock } from '../instance/volume-lock.js';
import { deleteVolume, describeVolume, waitForAvailable } from '../instance/volume.js';
import { RunLedger, outstanding } from '../ledger/ledger.js';
import { abortRecordedUpload, abortUpload, listIncompleteUploads } from '../s3/multipart-api.js';
import type { CleanupItem } from './item.js';

const run = promisify(execFile);

export interface RemoveContext {
  ec2: EC2Client;
  /** Made on first use: only uploads and staged copies need S3. */
  s3: () => Promise<S3Client>;
  stateDir: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Instances first (their volumes detach as they go), then volumes, then S3, then this machine. */
const ORDER: CleanupItem['action'][] = ['unlock', 'terminate', 'delete', 'abort', 'remove', 'unmount'];

export function removalOrder(items: CleanupItem[]): CleanupItem[] {
  return items.filter((i) => i.removable).sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action));
}

/** Removes one item; throws a one-line error when it cannot. */
export async function removeItem(item: CleanupItem, ctx: RemoveContext): Promise<void> {
  const { ec2, timeoutMs, signal } = ctx;
  switch (item.action) {
    case 'terminate':
      return terminateInstance(ec2, item.id, timeoutMs, signal);
    case 'unlock':
      return unlockVolume(ec2, item);
    case 'delete':
      if (item.kind === 'volume') return deleteLeftVolume(ec2, item, timeoutMs, signal);
      return deleteStaged(await ctx.s3(), item, signal);
    case 'abort':
      return abortLeftUpload(await ctx.s3(), item, signal);
    case 'remove':
      // A lock is one file; only a temporary directory offsite named (offsite-*) is removed with its contents.
      if (item.kind === 'lock') await unlink(item.id).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'ENOENT') throw error; });
      else await rm(item.id, { recursive: true, force: true });
      if (await stat(item.id).then(() => true, () => false)) throw new OffsiteError(`could not remove ${item.id}`);
      return;
    case 'unmount':
      try {
        await run('umount', [item.id]);
      } catch (error) {
        throw new OffsiteError(`umount ${item.id} failed: ${((error as { stderr?: string }).stderr ?? describeError(error)).trim().split('\n')[0]}`);
      }
      return;
    default:
      throw new OffsiteError(`${item.kind} ${item.id} cannot be removed automatically`);
  }
}

/** Removes the lock only if the same dead run still holds it (someone may have taken the volume since). */
async function unlockVolume(ec2: EC2Client, item: CleanupItem): Promise<void> {
  const value = tagsOf(await describeVolume(ec2, item.id))[TAG_LOCK];
  if (!value || parseLock(value)?.runId !== item.runId) return;
  await aws(`unlocking ${item.id}`, () => ec2.send(new DeleteTagsCommand({ Resources: [item.id], Tags: [{ Key: TAG_LOCK, Value: value }] })));
}

async function deleteLeftVolume(ec2: EC2Client, item: CleanupItem, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const volume = await describeVolume(ec2, item.id).catch((error: unknown) => {
    if (/no such volume/.test(describeError(error))) return undefined;
    throw error;
  });
  if (!volume) return; // already gone
  const attachment = volume.Attachments?.find((a) => a.State !== 'detached');
  if (attachment?.InstanceId) {
    // An instance terminated just before lets go by itself; a volume someone attached elsewhere is not pulled away.
    await waitForAvailable(ec2, item.id, Math.min(timeoutMs, 120_000), signal).catch(() => {
      throw new OffsiteError(`${item.id} is still attached to ${attachment.InstanceId}, which is not being terminated; detach it first`);
    });
  }
  await deleteVolume(ec2, item.id, timeoutMs, signal);
}

async function abortLeftUpload(s3: S3Client, item: CleanupItem, signal: AbortSignal): Promise<void> {
  const { bucket, key, since } = item.detail ?? {};
  if (!bucket || !key) throw new OffsiteError(`the ledger does not say where upload ${item.id} goes`);
  try {
    await abortRecordedUpload(s3, { bucket, key, id: item.id, ...(since ? { since } : {}) }, { signal });
  } catch (error) {
    throw new OffsiteError(`aborting upload ${item.id} of s3://${bucket}/${key}: ${describeError(error)}`);
  }
}

/** One DeleteObject per key: a batch delete cannot carry every key name (control characters). */
async function deleteStaged(s3: S3Client, item: CleanupItem, signal: AbortSignal): Promise<void> {
  const { bucket, prefix } = item.detail ?? {};
  const where = `s3://${bucket}/${prefix}`;
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal });
      for (const object of page.Contents ?? []) if (object.Key) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }), { abortSignal: signal });
      token = page.NextContinuationToken;
    } while (token);
    for (const upload of await listIncompleteUploads(s3, bucket!, prefix!, signal)) await abortUpload(s3, bucket!, upload, signal);
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchBucket') return;
    throw new OffsiteError(`removing the staged copies under ${where}: ${describeError(error)}`);
  }
}

/**
 * Records in the run's own ledger that the item is gone, so neither the run's next attempt nor a later cleanup
 * looks for it again. A run whose ledger is not on this machine has nothing to update.
 */
export async function closeInLedger(stateDir: string, item: CleanupItem, action: string): Promise<void> {
  if (!item.runId) return;
  const exists = await stat(join(stateDir, 'runs', `${item.runId}.jsonl`)).then(() => true, () => false);
  if (!exists) return;
  const ledger = await RunLedger.open(item.runId, stateDir);
  await ledger.record({ op: 'released', kind: item.kind, id: item.id, action, detail: 'by offsite cleanup' });
  // What lived on a terminated instance (the SSH session, its mounts, the attachment) went with it.
  if (item.kind === 'instance') {
    for (const entry of outstanding(await ledger.entries())) {
      if (['ssh-session', 'attachment'].includes(entry.kind) || (['mount', 'temp-dir'].includes(entry.kind) && !entry.id?.startsWith('/'))) {
        await ledger.record({ op: 'released', kind: entry.kind, id: entry.id!, action: 'gone', detail: `with ${item.id}` });
      }
    }
  }
}
