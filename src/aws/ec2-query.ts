import type { EC2Client } from '@aws-sdk/client-ec2';
import { ec2Client, resolveAwsContext } from './clients.js';

/** Opens an EC2 client for these account settings, runs one read-only query with it, and closes it. */
export async function withEc2<T>(options: { region?: string; profile?: string }, query: (ec2: EC2Client) => Promise<T>): Promise<T> {
  const ec2 = ec2Client(await resolveAwsContext(options));
  try {
    return await query(ec2);
  } finally {
    ec2.destroy();
  }
}
