import { DescribeInstancesCommand, DescribeVolumesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.js';
import { TAG_ROLE, TAG_RUN_ID } from './tags.js';

/**
 * Instances of a run that are not terminated, found by tag. This catches what the ledger cannot know:
 * an instance launched by a RunInstances call that was interrupted before it returned its id.
 */
export async function liveRunInstances(ec2: EC2Client, runId: string): Promise<string[]> {
  const found = await aws('looking for this run\'s instances', () =>
    ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${TAG_RUN_ID}`, Values: [runId] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
        ],
      }),
    ),
  );
  return (found.Reservations ?? []).flatMap((r) => r.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
}

/** Backup volumes this run created (never the user's, which carry no run tag). */
export async function runBackupVolumes(ec2: EC2Client, runId: string): Promise<{ id: string; state: string }[]> {
  const found = await aws('looking for this run\'s volumes', () =>
    ec2.send(
      new DescribeVolumesCommand({
        Filters: [
          { Name: `tag:${TAG_RUN_ID}`, Values: [runId] },
          { Name: `tag:${TAG_ROLE}`, Values: ['backup'] },
        ],
      }),
    ),
  );
  return (found.Volumes ?? []).flatMap((v) => (v.VolumeId ? [{ id: v.VolumeId, state: v.State ?? 'unknown' }] : []));
}
