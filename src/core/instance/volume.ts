import {
  AttachVolumeCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  waitUntilVolumeAvailable,
  waitUntilVolumeDeleted,
  type EC2Client,
  type Tag,
  type Volume,
} from '@aws-sdk/client-ec2';
import { aws, awsError } from '../../aws/errors.js';
import { OffsiteError, UsageError } from '../../errors.js';
import { formatBytes } from '../../util/format.js';
import { pollUntil } from '../../util/poll.js';
import { TAG_STATE, TAG_STATE_RUN, runTags, tagSpec } from './tags.js';

/** The device name we ask EC2 for; Nitro guests see an NVMe device whose serial is the volume id instead. */
export const ATTACH_DEVICE = '/dev/sdf';

export async function describeVolume(ec2: EC2Client, volumeId: string): Promise<Volume> {
  const found = await aws(`looking up ${volumeId}`, () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).catch(
    (error: OffsiteError) => {
      if (/InvalidVolume\.NotFound|InvalidVolumeID/.test(error.message)) throw new UsageError('no such volume in this region', { input: 'volume', value: volumeId });
      throw error;
    },
  );
  const volume = found.Volumes?.[0];
  if (!volume) throw new UsageError('no such volume in this region', { input: 'volume', value: volumeId });
  return volume;
}

/** A volume the user named must be free and big enough; its AZ decides where the instance runs. */
export function checkUserVolume(volume: Volume, neededGiB: number, dirBytes: number): void {
  const id = volume.VolumeId ?? '?';
  if (volume.State !== 'available') {
    const where = volume.Attachments?.[0]?.InstanceId ? ` (attached to ${volume.Attachments[0].InstanceId})` : '';
    throw new UsageError(`volume is ${volume.State ?? 'in an unknown state'}${where}, not available`, { input: 'volume', value: id });
  }
  const size = volume.Size ?? 0;
  if (size < neededGiB) {
    throw new UsageError(`volume is ${size} GiB; the directory needs at least ${neededGiB} GiB (2 × ${formatBytes(dirBytes)})`, { input: 'volume', value: id });
  }
}

export interface CreateVolumeRequest {
  sizeGiB: number;
  availabilityZone: string;
  runId: string;
  createdBy: string;
  clientToken: string;
  /** Start from this snapshot's data (its size when sizeGiB is 0). */
  snapshotId?: string;
  /** The offsite:role tag: `backup` unless said otherwise. */
  role?: string;
}

export async function createVolume(ec2: EC2Client, request: CreateVolumeRequest, signal?: AbortSignal): Promise<string> {
  const created = await aws('creating the volume', () =>
    ec2.send(
      new CreateVolumeCommand({
        ...(request.sizeGiB > 0 ? { Size: request.sizeGiB } : {}),
        ...(request.snapshotId ? { SnapshotId: request.snapshotId } : {}),
        AvailabilityZone: request.availabilityZone,
        VolumeType: 'gp3',
        ClientToken: request.clientToken,
        // Born "in progress": until the proof is written, nothing on it counts as a backup.
        TagSpecifications: [
          tagSpec('volume', [...runTags(request.runId, request.createdBy, request.role ?? 'backup'), { Key: TAG_STATE, Value: 'in-progress' }, { Key: TAG_STATE_RUN, Value: request.runId }]),
        ],
      }),
      signal ? { abortSignal: signal } : {},
    ),
  );
  if (!created.VolumeId) throw new OffsiteError('creating the volume: EC2 returned no volume id');
  return created.VolumeId;
}

export async function waitForAvailable(ec2: EC2Client, volumeId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  try {
    await waitUntilVolumeAvailable(
      { client: ec2, maxWaitTime: Math.ceil(timeoutMs / 1000), minDelay: 1, maxDelay: 10, ...(signal ? { abortSignal: signal } : {}) },
      { VolumeIds: [volumeId] },
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    throw awsError(error, `waiting for ${volumeId} to become available`);
  }
}

export async function attachVolume(ec2: EC2Client, volumeId: string, instanceId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  await aws(`attaching ${volumeId}`, () =>
    ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: ATTACH_DEVICE }), signal ? { abortSignal: signal } : {}),
  );
  // The volume's State turns in-use before the attachment itself is "attached"; wait for the latter.
  await pollUntil(
    async () => {
      const volume = await describeVolume(ec2, volumeId);
      const attachment = volume.Attachments?.find((a) => a.InstanceId === instanceId);
      return attachment?.State === 'attached' ? true : undefined;
    },
    { timeoutMs, ...(signal ? { signal } : {}), minDelayMs: 500, maxDelayMs: 5_000, what: `${volumeId} to attach` },
  );
}

export async function detachVolume(ec2: EC2Client, volumeId: string, instanceId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  await aws(`detaching ${volumeId}`, () => ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId })));
  await waitForAvailable(ec2, volumeId, timeoutMs, signal);
}

/**
 * Detaches `volumeId` from `instanceId` if it is (being) attached there, and reports whether it was. An attach
 * request cut short by Ctrl-C may still have reached EC2, so the clean-up asks rather than assumes.
 */
export async function detachIfAttached(ec2: EC2Client, volumeId: string, instanceId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const found = await aws(`looking up ${volumeId}`, () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })));
  const attached = (found.Volumes?.[0]?.Attachments ?? []).some((a) => a.InstanceId === instanceId && a.State !== 'detached');
  if (attached) await detachVolume(ec2, volumeId, instanceId, timeoutMs, signal);
  return attached;
}

/** Deletes a volume this run created; one still attached (an attach request cut short landed late) is detached first. */
export async function deleteVolume(ec2: EC2Client, volumeId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const remove = () => aws(`deleting ${volumeId}`, () => ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
  try {
    await remove();
  } catch (error) {
    if (!/VolumeInUse/.test(String((error as Error).message))) throw error;
    const found = await aws(`looking up ${volumeId}`, () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })));
    for (const attachment of found.Volumes?.[0]?.Attachments ?? []) {
      if (attachment.InstanceId) await detachIfAttached(ec2, volumeId, attachment.InstanceId, timeoutMs, signal);
    }
    await remove();
  }
  try {
    await waitUntilVolumeDeleted(
      { client: ec2, maxWaitTime: Math.ceil(timeoutMs / 1000), minDelay: 1, maxDelay: 10, ...(signal ? { abortSignal: signal } : {}) },
      { VolumeIds: [volumeId] },
    );
  } catch (error) {
    // A volume that is already gone counts as deleted.
    if (!/InvalidVolume\.NotFound/.test(String((error as Error).message))) throw awsError(error, `waiting for ${volumeId} to be deleted`);
  }
}

export async function tagVolume(ec2: EC2Client, volumeId: string, tags: Tag[]): Promise<void> {
  await aws(`tagging ${volumeId}`, () => ec2.send(new CreateTagsCommand({ Resources: [volumeId], Tags: tags })));
}
