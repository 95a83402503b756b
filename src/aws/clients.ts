import { EC2Client } from '@aws-sdk/client-ec2';
import { UsageError } from '../errors.js';
import { traceEndpoint } from './endpoint-trace.js';
import { checkRegionName } from './region.js';

export interface AwsContext {
  region: string;
  /** Set when AWS_ENDPOINT_URL(_EC2) points somewhere other than AWS (the sandbox). */
  endpoint?: string;
  profile?: string;
}

/**
 * Region from --region, AWS_REGION, AWS_DEFAULT_REGION or the profile's config; we never write any of them.
 * The SDK resolves credentials (default chain) and AWS_ENDPOINT_URL itself.
 */
export async function resolveAwsContext(options: { region?: string; profile?: string }, env = process.env): Promise<AwsContext> {
  const profile = options.profile ?? env.AWS_PROFILE;
  let region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    // The SDK reads the profile's region from AWS_CONFIG_FILE / ~/.aws/config; a client resolves it for us.
    const probe = new EC2Client(profile ? { profile } : {});
    region = await probe.config.region().catch(() => undefined);
    probe.destroy();
  }
  if (!region) throw new UsageError('no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile');
  checkRegionName(region, options.region ? '--region' : env.AWS_REGION ? 'AWS_REGION' : env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : 'the profile\'s region');
  const endpoint = env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL;
  return { region, ...(endpoint ? { endpoint } : {}), ...(profile ? { profile } : {}) };
}

export function ec2Client(context: AwsContext): EC2Client {
  return traceEndpoint(
    new EC2Client({
      region: context.region,
      ...(context.profile ? { profile: context.profile } : {}),
      maxAttempts: 5,
    }),
  );
}
