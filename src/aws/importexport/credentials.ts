import { SnowballClient, type SnowballClientConfig } from '@aws-sdk/client-snowball';
import { UsageError } from '../../errors.js';
import type { SigV2Credentials } from './sigv2.js';

/** AWS_ENDPOINT_URL_IMPORTEXPORT, else AWS_ENDPOINT_URL, else the service's global endpoint. */
export function importExportEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_IMPORTEXPORT || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * The SDK's default credential chain (environment, profile, SSO, process, container, instance role), borrowed
 * from a v3 client's resolved config: SigV2 needs the same keys, and we do not reimplement the chain. Memoised,
 * and refreshed when temporary credentials are about to expire.
 */
export function defaultCredentials(options: { profile?: string; region?: string }): () => Promise<SigV2Credentials> {
  // `profile` reaches the default chain although client-snowball 3.523's config type does not list it.
  const config: SnowballClientConfig & { profile?: string } = { region: options.region ?? 'us-east-1', ...(options.profile ? { profile: options.profile } : {}) };
  const client = new SnowballClient(config);
  return async () => {
    try {
      const c = await client.config.credentials();
      return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
    } catch {
      throw new UsageError('no AWS credentials found: configure a profile (AWS_PROFILE), environment keys or an instance role');
    }
  };
}
