import { SnowballClient } from '@aws-sdk/client-snowball';

/** The endpoint override: AWS_ENDPOINT_URL_SNOWBALL, else AWS_ENDPOINT_URL (this SDK version reads neither itself). */
export function snowballEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_SNOWBALL || env.AWS_ENDPOINT_URL || undefined;
}

/** A Snowball (JSON 1.1, SigV4) client on the default credential chain. */
export function snowballClient(options: { region: string; profile?: string }, env: NodeJS.ProcessEnv = process.env): SnowballClient {
  const endpoint = snowballEndpoint(env);
  return new SnowballClient({
    region: options.region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
  });
}
