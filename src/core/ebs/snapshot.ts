import {
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  waitUntilSnapshotCompleted,
  type EC2Client,
  type Snapshot,
  type Tag,
} from '@aws-sdk/client-ec2';
import { aws, awsError } from '../../aws/errors.js';
import { OffsiteError, UsageError } from '../../errors.js';
import { describeVolume } from '../instance/volume.js';
import { TAG_CREATED_BY, TAG_ROLE, TAG_RUN_ID, runTags, tagSpec } from '../instance/tags.js';

/** snap- followed by 8 or 17 lower-case hex digits. */
export { SNAPSHOT_ID } from './validate.js';

/** The volume's offsite:* proof tags (method, source, time, dd length and hash, state), not its run bookkeeping. */
export function proofTags(tags: Tag[] | undefined): Tag[] {
  const bookkeeping = new Set([TAG_RUN_ID, TAG_ROLE, TAG_CREATED_BY]);
  return (tags ?? []).filter((t) => t.Key?.startsWith('offsite:') && !bookkeeping.has(t.Key));
}

/**
 * Snapshots a volume that holds a verified backup and gives the snapshot the volume's proof tags, so it can be
 * restored and listed on its own: a point in time that later backups onto the volume do not change.
 */
export async function snapshotBackup(
  ec2: EC2Client,
  request: { volumeId: string; runId: string; createdBy: string; timeoutMs: number },
  signal?: AbortSignal,
): Promise<string> {
  const volume = await describeVolume(ec2, request.volumeId);
  const tags = [
    ...runTags(request.runId, request.createdBy, 'snapshot'),
    ...proofTags(volume.Tags),
    { Key: 'offsite:volume', Value: request.volumeId },
  ];
  const created = await aws(`snapshotting ${request.volumeId}`, () =>
    ec2.send(
      new CreateSnapshotCommand({ VolumeId: request.volumeId, Description: `offsite backup of ${request.volumeId}`, TagSpecifications: [tagSpec('snapshot', tags)] }),
      signal ? { abortSignal: signal } : {},
    ),
  );
  const id = created.SnapshotId;
  if (!id) throw new OffsiteError(`snapshotting ${request.volumeId}: EC2 returned no snapshot id`);
  try {
    await waitUntilSnapshotCompleted(
      { client: ec2, maxWaitTime: Math.ceil(request.timeoutMs / 1000), minDelay: 2, maxDelay: 30, ...(signal ? { abortSignal: signal } : {}) },
      { SnapshotIds: [id] },
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    throw awsError(error, `waiting for ${id} to complete`);
  }
  return id;
}

export async function describeSnapshot(ec2: EC2Client, snapshotId: string): Promise<Snapshot> {
  const found = await aws(`looking up ${snapshotId}`, () => ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).catch((error: OffsiteError) => {
    if (/InvalidSnapshot\.NotFound|InvalidSnapshotID|InvalidParameterValue/.test(error.message)) throw new UsageError('no such snapshot in this region', { input: 'snapshot', value: snapshotId });
    throw error;
  });
  const snapshot = found.Snapshots?.[0];
  if (!snapshot) throw new UsageError('no such snapshot in this region', { input: 'snapshot', value: snapshotId });
  return snapshot;
}
