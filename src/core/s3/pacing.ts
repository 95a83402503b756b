import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { InterruptedError } from '../../errors.js';

/** Sleeps, but a Ctrl-C ends the sleep with InterruptedError. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch {
    throw new InterruptedError();
  }
}

/**
 * One bandwidth budget shared by every upload in flight: a token bucket that refills at `limit` bytes per second and
 * holds at most one second's worth, so a pause (a HEAD, a slow disk) does not turn into a burst afterwards.
 */
export class Throttle {
  private tokens: number;
  private last = Date.now();

  constructor(readonly limit: number | undefined) {
    this.tokens = 0; // no initial burst: the limit holds from the first byte
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!this.limit) return;
    const now = Date.now();
    this.tokens = Math.min(this.limit, this.tokens + ((now - this.last) * this.limit) / 1000);
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens < 0) await pause((-this.tokens / this.limit) * 1000, signal);
  }

  /** Small pieces under a low limit keep the connection busy (no long silences a server could time out on). */
  get chunkSize(): number {
    return this.limit ? Math.max(4096, Math.min(256 * 1024, Math.floor(this.limit / 8))) : 256 * 1024;
  }
}

/** A request body that sends `data` in paced pieces and reports each piece as it goes (live progress). */
export function pacedBody(data: Buffer, throttle: Throttle, onBytes: (n: number) => void, signal?: AbortSignal): Readable {
  const size = throttle.chunkSize;
  async function* pieces(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < data.length; offset += size) {
      const piece = data.subarray(offset, offset + size);
      try {
        await throttle.take(piece.length, signal);
      } catch (error) {
        // Interrupted: the request is being aborted through the same signal, and nobody listens for a body
        // stream's error event, which would crash the process. The body just stops.
        if (signal?.aborted) return;
        throw error;
      }
      onBytes(piece.length);
      yield piece;
    }
  }
  return Readable.from(pieces());
}

/**
 * What may be in flight at once: at most `maxRequests` requests holding at most `maxBytes` of bodies (a request
 * larger than the budget still goes, alone). Waiters are served in order, so a large part is not starved by a stream
 * of small files.
 */
export class InFlight {
  private requests = 0;
  private bytes = 0;
  private readonly waiting: Array<{ size: number; grant: () => void }> = [];

  constructor(
    private readonly maxRequests: number,
    private readonly maxBytes: number,
  ) {}

  private fits(size: number): boolean {
    return this.requests === 0 || (this.requests < this.maxRequests && this.bytes + size <= this.maxBytes);
  }

  acquire(size: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    if (this.waiting.length === 0 && this.fits(size)) {
      this.take(size);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        size,
        grant: (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new InterruptedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  release(size: number): void {
    this.requests--;
    this.bytes -= size;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.size)) {
      const next = this.waiting.shift()!;
      this.take(next.size);
      next.grant();
    }
  }

  private take(size: number): void {
    this.requests++;
    this.bytes += size;
  }
}

/**
 * Part-sized buffers used again and again: a large upload then holds only the parts in flight, instead of leaving
 * every part it ever read to the garbage collector (which lets the RSS climb far above concurrency × part size).
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly size: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.size) this.free.push(buffer);
  }
}
