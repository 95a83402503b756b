import { SnowballClient, type SnowballClientConfig } from '@aws-sdk/client-snowball';

/** The endpoint override: AWS_ENDPOINT_URL_SNOWBALL, else AWS_ENDPOINT_URL (this SDK version reads neither itself). */
export function snowballEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_SNOWBALL || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * --region, AWS_REGION or AWS_DEFAULT_REGION; else the profile's region, read through the shared context resolver
 * (client-snowball 3.523 does not read a named profile's region itself).
 */
export async function snowballRegion(options: { region?: string; profile?: string }, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region) return region;
  const { resolveAwsContext } = await import('./clients.js');
  return (await resolveAwsContext(options, env)).region;
}

/** A Snowball (JSON 1.1, SigV4) client on the default credential chain. */
export function snowballClient(options: { region: string; profile?: string }, env: NodeJS.ProcessEnv = process.env): SnowballClient {
  const endpoint = snowballEndpoint(env);
  // `profile` reaches the default credential chain although this SDK version's config type does not list it.
  const config: SnowballClientConfig & { profile?: string } = {
    region: options.region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
  };
  return new SnowballClient(config);
}
