import { DeleteTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.js';
import { UsageError } from '../../errors.js';
import type { Emit } from '../phases.js';
import { liveRunInstances } from './sweep.js';
import { tagsOf } from '../ebs/proof.js';
import { TAG_LOCK } from './tags.js';
import { describeVolume, tagVolume } from './volume.js';

export interface LockHolder {
  runId: string;
  since: string;
}

export function parseLock(value: string | undefined): LockHolder | undefined {
  if (!value) return undefined;
  const at = value.lastIndexOf('@');
  return at > 0 ? { runId: value.slice(0, at), since: value.slice(at + 1) } : { runId: value, since: 'unknown' };
}

/**
 * Whether the run holding a lock is still alive: its process on this machine (a run takes the lock before it
 * launches, so a just-started run has no instance yet), or else a live instance tagged with its id.
 */
export async function runIsAlive(ec2: EC2Client, runId: string, localRunAlive: (runId: string) => Promise<boolean>): Promise<boolean> {
  if (await localRunAlive(runId)) return true;
  return (await liveRunInstances(ec2, runId)).length > 0;
}

/**
 * Marks a named volume as taken by this run before anything is launched. Another live run's lock is a usage
 * error naming the holder (exit 2); a dead run's lock is taken over with a warning. The tag is read back, so of
 * two runs racing for the volume only the one whose value stuck goes on.
 */
export async function takeVolume(options: {
  ec2: EC2Client;
  volumeId: string;
  runId: string;
  emit: Emit;
  localRunAlive: (runId: string) => Promise<boolean>;
}): Promise<void> {
  const { ec2, volumeId, runId, emit } = options;
  const holder = parseLock(tagsOf(await describeVolume(ec2, volumeId))[TAG_LOCK]);
  if (holder && holder.runId !== runId) {
    if (await runIsAlive(ec2, holder.runId, options.localRunAlive)) {
      throw new UsageError(`in use by run ${holder.runId} (since ${holder.since}); wait for it to finish`, { input: 'volume', value: volumeId, remedy: 'cleanupRun', remedyValue: holder.runId });
    }
    emit({ type: 'warning', message: `${volumeId} was held by run ${holder.runId} (since ${holder.since}), which is no longer running; taking it over` });
  }
  const mine = `${runId}@${new Date().toISOString()}`;
  await tagVolume(ec2, volumeId, [{ Key: TAG_LOCK, Value: mine }]);
  const after = tagsOf(await describeVolume(ec2, volumeId))[TAG_LOCK];
  if (after !== mine) {
    const other = parseLock(after);
    throw new UsageError(`taken by run ${other?.runId ?? 'unknown'} at the same moment; try again when it has finished`, { input: 'volume', value: volumeId });
  }
}

/** Gives the volume back; only our own lock is removed (EC2 deletes a tag only when key and value match). */
export async function releaseVolume(ec2: EC2Client, volumeId: string, runId: string): Promise<void> {
  const current = tagsOf(await describeVolume(ec2, volumeId))[TAG_LOCK];
  if (!current || parseLock(current)?.runId !== runId) return;
  await aws(`releasing ${volumeId}`, () => ec2.send(new DeleteTagsCommand({ Resources: [volumeId], Tags: [{ Key: TAG_LOCK, Value: current }] })));
}
