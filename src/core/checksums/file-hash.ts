import { open } from 'node:fs/promises';
import { throwIfAborted } from '../../util/poll.js';
import type { ChecksumAlgorithm } from './algorithms.js';
import { contentDigests, contentRequest, type Digests } from './content.js';
import { MultiDigest, type HashRequest, type HashResult } from './multi-digest.js';

const CHUNK = 1024 * 1024;

export interface FileHashOptions {
  signal?: AbortSignal;
  /** Sees every chunk (for progress). */
  onBytes?: (n: number) => void;
  /** A buffer to read into, reused across files by a caller that hashes many. */
  scratch?: Buffer;
}

/** Reads a file once and returns what was asked. */
export async function hashFile(path: string, request: HashRequest, options: FileHashOptions = {}): Promise<HashResult> {
  const digest = new MultiDigest(request);
  const handle = await open(path, 'r');
  try {
    // A caller's scratch buffer, or one sized to the file: thousands of small files must not each leave a 1 MiB
    // buffer for the collector.
    const buffer = options.scratch ?? Buffer.allocUnsafe(Math.min(CHUNK, (await handle.stat()).size + 1));
    for (;;) {
      throwIfAborted(options.signal);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      digest.update(buffer.subarray(0, bytesRead));
      options.onBytes?.(bytesRead);
    }
  } finally {
    await handle.close();
  }
  return digest.result();
}

/** A file's SHA-256, S3 checksum and (unless `md5: false`) MD5, in one read. */
export async function digestFile(
  path: string,
  algorithm: ChecksumAlgorithm,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
  options: { scratch?: Buffer; md5?: boolean } = {},
): Promise<Digests> {
  const hashed = await hashFile(path, contentRequest(algorithm, options), { ...options, onBytes, ...(signal ? { signal } : {}) });
  return contentDigests(hashed, algorithm);
}
