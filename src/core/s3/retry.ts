import { InterruptedError, OffsiteError } from '../../errors.js';
import { pause } from './pacing.js';

const RETRYABLE_NAMES = new Set([
  'RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'ThrottlingException', 'Throttling', 'TooManyRequestsException',
  'InternalError', 'ServiceUnavailable', 'TimeoutError', 'NetworkingError',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH']);

/** Failures worth another attempt: the network, throttling and S3's own 5xx; not a denial or a missing bucket. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof OffsiteError) return false;
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return Boolean(e?.$retryable) || RETRYABLE_NAMES.has(e?.name ?? '') || RETRYABLE_CODES.has(e?.code ?? '') || status >= 500 || status === 429;
}

/**
 * Runs `work` up to `attempts` times with exponential backoff (0.5 s, 1 s, 2 s … at most 8 s, with jitter).
 * Our own loop, because an upload body is a paced stream that has to be made again for each attempt.
 */
export async function withRetries<T>(
  attempts: number,
  signal: AbortSignal | undefined,
  work: (attempt: number) => Promise<T>,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError();
      if (attempt >= attempts || !isRetryable(error)) throw error;
      onRetry?.(error, attempt);
      const backoff = Math.min(8000, 500 * 2 ** (attempt - 1));
      await pause(backoff / 2 + Math.random() * (backoff / 2), signal);
    }
  }
}
