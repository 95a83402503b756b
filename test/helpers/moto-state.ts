import { DescribeInstancesCommand, DescribeVolumesCommand, type EC2Client } from '@aws-sdk/client-ec2';

/** Instances in moto that are not terminated (what a leak looks like). */
export async function liveInstances(ec2: EC2Client): Promise<string[]> {
  const found = await ec2.send(new DescribeInstancesCommand({}));
  return (found.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .map((i) => i.InstanceId!);
}

export async function volumeIds(ec2: EC2Client): Promise<string[]> {
  const found = await ec2.send(new DescribeVolumesCommand({}));
  return (found.Volumes ?? []).map((v) => v.VolumeId!).sort();
}

export async function volumeTags(ec2: EC2Client, volumeId: string): Promise<Record<string, string>> {
  const found = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  return Object.fromEntries((found.Volumes?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}
