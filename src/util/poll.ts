import { setTimeout as delay } from 'node:timers/promises';
import { InterruptedError, OffsiteError } from '../errors.js';

export interface PollOptions {
  signal?: AbortSignal;
  /** Give up after this long; the error names `what`. */
  timeoutMs: number;
  /** First wait between attempts; doubles up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Used in the timeout message: "timed out after 60 s waiting for <what>". */
  what: string;
}

/**
 * Calls `attempt` until it returns a value other than undefined, backing off exponentially.
 * This is the one waiting primitive for conditions no SDK waiter covers (attachment state, device nodes).
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const { signal, timeoutMs, what } = options;
  const minDelay = options.minDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  let wait = minDelay;
  for (;;) {
    throwIfAborted(signal);
    const value = await attempt();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new OffsiteError(`timed out after ${formatSeconds(timeoutMs)} waiting for ${what}`);
    try {
      await delay(Math.min(wait, left), undefined, signal ? { signal } : undefined);
    } catch {
      throwIfAborted(signal);
    }
    wait = Math.min(wait * 2, maxDelay);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * The error to surface for an aborted signal: the reason if it is ours, a time-out (AbortSignal.timeout) as
 * `timeoutMessage`, otherwise "interrupted".
 */
export function abortReason(signal: AbortSignal, timeoutMessage = 'timed out'): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof OffsiteError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new OffsiteError(timeoutMessage);
  return new InterruptedError();
}

export function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
