import { InterruptedError, OffsiteError, UsageError } from '../errors.js';
import { endpointOf } from './endpoint-trace.js';

/**
 * Turns an AWS SDK failure into one operator-readable line. `action` says what we were doing
 * ("launching the instance"), so the line reads: "launching the instance: <why>".
 */
export function awsError(error: unknown, action: string): OffsiteError {
  if (error instanceof OffsiteError) return error;
  const e = error as { name?: string; Code?: string; message?: string; code?: string; $metadata?: unknown };
  const name = e.Code ?? e.name ?? '';
  const message = (e.message ?? String(error)).split('\n')[0]!.trim();
  if (name === 'AbortError') return new InterruptedError();
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(name)) {
    return new UsageError('no AWS credentials found: configure a profile (AWS_PROFILE), environment keys or an instance role');
  }
  if (name === 'AuthFailure' || name === 'InvalidClientTokenId' || name === 'UnrecognizedClientException') {
    return new UsageError(`${action}: AWS rejected the credentials (${name})`);
  }
  if (name === 'UnauthorizedOperation' || name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new OffsiteError(`${action}: not permitted by your IAM policy (${name})`);
  }
  const endpoint = endpointOf(error);
  if (['ENOTFOUND', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET'].includes(e.code ?? name)) {
    return new OffsiteError(`${action}: cannot reach ${endpoint ?? 'the EC2 endpoint'} (${e.code ?? name}); check the region and AWS_ENDPOINT_URL`);
  }
  // Something answered, but not as AWS does (a captive portal, a proxy's HTML page, a wrong endpoint URL).
  if (/Deserialization error|XML parse error|Unexpected token|not valid JSON/i.test(e.message ?? '')) {
    const status = (e.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
    return new OffsiteError(`${action}: ${endpoint ?? 'the endpoint'} did not answer as AWS does${status ? ` (HTTP ${status})` : ''}; check the region and AWS_ENDPOINT_URL`);
  }
  return new OffsiteError(`${action}: ${name ? `${name}: ` : ''}${message}`);
}

/** Runs an AWS call, converting its failure. */
export async function aws<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsError(error, action);
  }
}

export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const e = error as { name?: string; Code?: string };
  return codes.includes(e?.Code ?? '') || codes.includes(e?.name ?? '');
}
