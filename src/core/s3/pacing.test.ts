import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../errors.js';
import { BufferPool, InFlight } from './pacing.js';
import { requestKind } from '../../../scripts/counting-proxy.js';

const settled = async <T>(promise: Promise<T>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('what may be in flight', () => {
  it('caps requests and body bytes, lets an oversized body go alone, and serves waiters in order', async () => {
    const flight = new InFlight(3, 100);
    await flight.acquire(40);
    await flight.acquire(40);
    const third = flight.acquire(40); // 120 > 100: waits
    const small = flight.acquire(1); // fits, but must not overtake the waiting one
    expect(await settled(third)).toBe(false);
    expect(await settled(small)).toBe(false);
    flight.release(40);
    expect(await settled(third)).toBe(true);
    expect(await settled(small)).toBe(true);
    flight.release(40);
    flight.release(40);
    flight.release(1);
    await flight.acquire(500); // alone: larger than the budget still goes
    const next = flight.acquire(1);
    expect(await settled(next)).toBe(false);
    flight.release(500);
    expect(await settled(next)).toBe(true);
  });

  it('a waiter gives up with InterruptedError when the run is interrupted', async () => {
    const flight = new InFlight(1, 10);
    await flight.acquire(1);
    const stop = new AbortController();
    const waiting = flight.acquire(1, stop.signal);
    stop.abort();
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
  });

  it('buffers of the pool are used again; others are left to the collector', () => {
    const pool = new BufferPool(8);
    const first = pool.take();
    pool.give(first);
    expect(pool.take()).toBe(first);
    pool.give(Buffer.alloc(4));
    expect(pool.take()).not.toHaveLength(4);
  });
});

describe('the benchmark counts each request as the S3 operation it is', () => {
  const kind = (method: string, url: string, headers: Record<string, string> = {}) => requestKind({ method, url, headers });
  it.each([
    ['PUT', '/b/k', {}, 'PutObject'],
    ['PUT', '/b/k', { 'x-amz-copy-source': 'b/s' }, 'CopyObject'],
    ['PUT', '/b/k?partNumber=1&uploadId=u', {}, 'UploadPart'],
    ['POST', '/b/k?uploads', {}, 'CreateMultipartUpload'],
    ['POST', '/b/k?uploadId=u', {}, 'CompleteMultipartUpload'],
    ['POST', '/b?delete', {}, 'DeleteObjects'],
    ['HEAD', '/b', {}, 'HeadBucket'],
    ['HEAD', '/b/k', {}, 'HeadObject'],
    ['GET', '/b?list-type=2&prefix=p', {}, 'ListObjects'],
    ['GET', '/b?uploads', {}, 'ListMultipartUploads'],
    ['GET', '/b/k?attributes', {}, 'GetObjectAttributes'],
    ['GET', '/b/k', {}, 'GetObject'],
    ['DELETE', '/b/k', {}, 'DeleteObject'],
    ['DELETE', '/b/k?uploadId=u', {}, 'AbortMultipartUpload'],
  ])('%s %s', (method, url, headers, expected) => expect(kind(method, url, headers)).toBe(expected));
});
