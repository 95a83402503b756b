/**
 * Run as a small Node process of its own between tar and ssh (`node stream-tap.js [bytes-per-second] [drain]`):
 * stdin to stdout, hashed (SHA-256) and counted on the way, held under the rate when one is given. With `drain`, a
 * reader that goes away (tar giving up on a corrupt image) does not stop it: the rest is still read and hashed. On fd 3 it writes the
 * byte count as it grows (a line at most every 100 ms) and `end <bytes> <sha256>` once stdout is flushed.
 * The stream never enters the offsite process, whose heap (the AWS SDK) made every few MiB of stream buffers cost
 * a full garbage collection: 48 of them per GiB, about as much CPU as the hashing itself.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { throttleDelayMs } from '../../util/bandwidth.js';

const limit = Number(process.argv[2] ?? 0);
const drain = process.argv[3] === 'drain';
let sink = true;
const report = createWriteStream('', { fd: 3 });
const hash = createHash('sha256');
const startedAt = Date.now();
let bytes = 0;
let reportedAt = 0;
/**
 * Each chunk is a fresh 64 KiB buffer, dead once written; V8 frees them only when its external memory has grown by
 * 64 MB, which more than doubled this process's resident size. A young-generation collection every few MiB (the
 * spawner passes --expose-gc) frees them for well under a millisecond each: ~65 MB resident instead of ~120 MB.
 */
const collect = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
const COLLECT_EVERY = 4 * 1024 * 1024;
let collectedAt = 0;

process.stdout.on('error', () => {
  if (!drain) process.exit(1); // ssh is gone: its own end says why
  sink = false;
  process.stdin.resume();
});
process.stdin.on('data', (chunk: Buffer) => {
  hash.update(chunk);
  bytes += chunk.length;
  if (collect && bytes - collectedAt >= COLLECT_EVERY) {
    collectedAt = bytes;
    collect({ type: 'minor' });
  }
  const now = Date.now();
  if (now - reportedAt >= 100) {
    reportedAt = now;
    report.write(`${bytes}\n`);
  }
  const full = sink && !process.stdout.write(chunk);
  const wait = limit > 0 ? throttleDelayMs(bytes, limit, startedAt, now) : 0;
  if (!full && wait === 0) return;
  process.stdin.pause();
  let pending = (full ? 1 : 0) + (wait > 0 ? 1 : 0);
  const resume = (): void => void (--pending === 0 && process.stdin.resume());
  if (full) process.stdout.once('drain', resume);
  if (wait > 0) setTimeout(resume, wait);
});
process.stdin.on('end', () => {
  const done = (): void => void report.end(`end ${bytes} ${hash.digest('hex')}\n`);
  if (sink) process.stdout.end(done);
  else done();
});
