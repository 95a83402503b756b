import { DescribeInstancesCommand, DescribeVolumesCommand, type EC2Client, type Instance, type Volume } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.js';
import { holdsCompletedBackup, tagsOf } from '../ebs/proof.js';
import { TAG_LOCK, TAG_NAMED_BY_USER, TAG_ROLE, TAG_RUN_ID, TAG_STATE, TAG_STATE_RUN } from '../instance/tags.js';
import { parseLock } from '../instance/volume-lock.js';
import type { CleanupItem } from './item.js';
import type { RunVerdicts } from './runs.js';

const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

async function allInstances(ec2: EC2Client): Promise<Instance[]> {
  const found: Instance[] = [];
  let token: string | undefined;
  do {
    const page = await aws('listing offsite\'s instances', () =>
      ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag-key', Values: [TAG_RUN_ID] },
            { Name: 'instance-state-name', Values: LIVE_STATES },
          ],
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    found.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
    token = page.NextToken;
  } while (token);
  return found;
}

/** Volumes carrying any offsite tag. Filtered here, not with a tag-key filter, which moto answers inconsistently. */
async function allVolumes(ec2: EC2Client): Promise<Volume[]> {
  const keys = new Set([TAG_RUN_ID, TAG_LOCK, TAG_NAMED_BY_USER]);
  const found: Volume[] = [];
  let token: string | undefined;
  do {
    const page = await aws('listing offsite\'s volumes', () => ec2.send(new DescribeVolumesCommand({ MaxResults: 500, ...(token ? { NextToken: token } : {}) })));
    found.push(...(page.Volumes ?? []).filter((v) => (v.Tags ?? []).some((t) => keys.has(t.Key ?? ''))));
    token = page.NextToken;
  } while (token);
  return found;
}

/** Instances offsite launched that are still there: removable once their run is over. */
export async function findInstances(ec2: EC2Client, region: string, runs: RunVerdicts): Promise<CleanupItem[]> {
  const items: CleanupItem[] = [];
  for (const instance of await allInstances(ec2)) {
    const id = instance.InstanceId;
    if (!id) continue;
    const runId = tagsOf(instance)[TAG_RUN_ID] ?? '';
    const verdict = await runs.verdict(runId);
    items.push({
      kind: 'instance',
      id,
      region,
      runId,
      ...(instance.LaunchTime ? { created: instance.LaunchTime.toISOString() } : {}),
      action: verdict.over ? 'terminate' : 'keep',
      removable: verdict.over,
      left: verdict.left,
      reason: verdict.over ? `${instance.State?.Name ?? 'running'}, and ${verdict.why}` : verdict.why,
      ...(!verdict.over && verdict.advice ? { advice: verdict.advice } : {}),
    });
  }
  return items;
}

/**
 * Volumes offsite created or claimed. A volume holding a completed backup is not listed at all; one the user
 * named is never removable (at most its stale lock is); an unfinished one of a run that is over is deleted.
 */
export async function findVolumes(ec2: EC2Client, region: string, runs: RunVerdicts): Promise<CleanupItem[]> {
  const items: CleanupItem[] = [];
  for (const volume of await allVolumes(ec2)) {
    const id = volume.VolumeId;
    if (!id) continue;
    const tags = tagsOf(volume);
    const base = { region, ...(volume.CreateTime ? { created: volume.CreateTime.toISOString() } : {}) };
    const attachedTo = volume.Attachments?.find((a) => a.State === 'attached' || a.State === 'attaching')?.InstanceId;
    const detail = attachedTo ? { attachedTo } : undefined;

    const lock = parseLock(tags[TAG_LOCK]);
    if (lock) {
      const verdict = await runs.verdict(lock.runId);
      if (verdict.over) {
        items.push({ kind: 'lock', id, region, runId: lock.runId, created: lock.since, action: 'unlock', removable: true, left: true, reason: `held by run ${lock.runId}: ${verdict.why}; the volume itself is kept` });
      }
    }

    // A volume the user named is theirs whatever its state (an unfinished one says so in its tags and to verify).
    if (tags[TAG_NAMED_BY_USER] === 'true' || !tags[TAG_RUN_ID]) continue;

    const role = tags[TAG_ROLE];
    const runId = tags[TAG_RUN_ID] ?? '';
    const state = tags[TAG_STATE];
    const stateRun = tags[TAG_STATE_RUN] ?? runId;
    if (role === 'backup') {
      if (holdsCompletedBackup(tags) || state === 'inconsistent') continue;
      const verdict = await runs.verdict(stateRun || runId);
      if (await runs.keptByRun(runId, id)) {
        items.push({ ...base, kind: 'volume', id, runId, action: 'keep', removable: false, left: false, reason: `run ${runId} finished this backup but could not write its proof tags; kept` });
      } else {
        items.push({
          ...base,
          kind: 'volume',
          id,
          runId,
          action: verdict.over ? 'delete' : 'keep',
          removable: verdict.over,
          left: verdict.left,
          reason: verdict.over ? `its backup never completed (offsite:state=${state ?? 'none'}), and ${verdict.why}` : verdict.why,
          ...(!verdict.over && verdict.advice ? { advice: verdict.advice } : {}),
          ...(detail ? { detail } : {}),
        });
      }
    } else if (role === 'root-volume' && volume.State === 'available') {
      const verdict = await runs.verdict(runId);
      if (verdict.over) items.push({ ...base, kind: 'volume', id, runId, action: 'delete', removable: true, left: true, reason: `root volume of an offsite instance that is gone` });
    }
  }
  return items;
}
