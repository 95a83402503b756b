/** AWS's own S3 hosts; anything else behind an endpoint override is a stand-in (moto, MinIO, …) with its own quirks. */
export function isAwsEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname.toLowerCase();
    return /(^|\.)amazonaws\.com(\.cn)?$/.test(host) || /(^|\.)api\.aws$/.test(host);
  } catch {
    return false;
  }
}

/** The S3 endpoint override (AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL), read in this one place. */
export function s3Endpoint(env: NodeJS.ProcessEnv = process.env): { endpoint?: string; nonAws: boolean } {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return endpoint === undefined ? { nonAws: false } : { endpoint, nonAws: !isAwsEndpoint(endpoint) };
}
