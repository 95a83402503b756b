import { DescribeVolumesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.js';

/** A volume of the account as a picker shows it. */
export interface VolumeSummary {
  id: string;
  /** The Name tag, whole. */
  name?: string;
  sizeGiB: number;
  zone: string;
  state: string;
}

/** Every EBS volume of the account in the client's region (all pages). Read-only. */
export async function listVolumes(ec2: EC2Client): Promise<VolumeSummary[]> {
  const volumes: VolumeSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await aws('listing volumes', () => ec2.send(new DescribeVolumesCommand({ MaxResults: 500, ...(NextToken ? { NextToken } : {}) })));
    for (const v of page.Volumes ?? []) {
      const name = v.Tags?.find((t) => t.Key === 'Name')?.Value;
      volumes.push({ id: v.VolumeId ?? '?', ...(name ? { name } : {}), sizeGiB: v.Size ?? 0, zone: v.AvailabilityZone ?? '?', state: v.State ?? 'unknown' });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return volumes;
}
