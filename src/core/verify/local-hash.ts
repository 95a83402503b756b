import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { Crc64Nvme } from '../s3/crc64nvme.js';
import { throwIfAborted } from '../../util/poll.js';
import { Crc32c } from './crc32c.js';

/** S3's additional checksums, and MD5 for ETags. */
export type Algorithm = 'MD5' | 'SHA1' | 'SHA256' | 'CRC32' | 'CRC32C' | 'CRC64NVME';
export const S3_CHECKSUMS = ['CRC64NVME', 'CRC32', 'CRC32C', 'SHA256', 'SHA1'] as const;
export type S3Checksum = (typeof S3_CHECKSUMS)[number];

export const DIGEST_BYTES: Record<Algorithm, number> = { MD5: 16, SHA1: 20, SHA256: 32, CRC32: 4, CRC32C: 4, CRC64NVME: 8 };

export interface Digester {
  update(data: Uint8Array): void;
  digest(): Buffer;
}

export function newDigester(algorithm: Algorithm): Digester {
  switch (algorithm) {
    case 'MD5':
    case 'SHA1':
    case 'SHA256': {
      const hash = createHash(algorithm.toLowerCase());
      return { update: (data) => void hash.update(data), digest: () => hash.digest() };
    }
    case 'CRC32': {
      let value = 0;
      return {
        update: (data) => void (value = crc32(data, value)),
        digest: () => {
          const out = Buffer.alloc(4);
          out.writeUInt32BE(value >>> 0);
          return out;
        },
      };
    }
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
  }
}

export function digestOf(algorithm: Algorithm, data: Uint8Array): Buffer {
  const digester = newDigester(algorithm);
  digester.update(data);
  return digester.digest();
}

/** What to compute in one read of a file: whole-file digests, and per-part digests for given part sizes. */
export interface HashRequest {
  whole: Algorithm[];
  parts?: { sizes: number[]; algorithms: Algorithm[] };
}

export interface HashResult {
  size: number;
  whole: Partial<Record<Algorithm, Buffer>>;
  parts: Partial<Record<Algorithm, Buffer[]>>;
}

const CHUNK = 1024 * 1024;

/** Feeds a byte stream to every requested digester, cutting parts at the given sizes. */
export class MultiDigest {
  private readonly whole: [Algorithm, Digester][];
  private readonly partAlgorithms: Algorithm[];
  private readonly partSizes: number[];
  private current: [Algorithm, Digester][] = [];
  private readonly partDigests: Partial<Record<Algorithm, Buffer[]>> = {};
  private partIndex = 0;
  private partLeft = 0;
  size = 0;

  constructor(request: HashRequest) {
    this.whole = [...new Set(request.whole)].map((a) => [a, newDigester(a)]);
    this.partAlgorithms = [...new Set(request.parts?.algorithms ?? [])];
    this.partSizes = request.parts?.sizes ?? [];
    for (const a of this.partAlgorithms) this.partDigests[a] = [];
    this.startPart();
  }

  update(data: Uint8Array): void {
    this.size += data.length;
    for (const [, d] of this.whole) d.update(data);
    if (this.partAlgorithms.length === 0) return;
    let offset = 0;
    while (offset < data.length) {
      // Bytes beyond the last part still count (the size check then fails); they belong to no part.
      if (this.partLeft === 0 && !this.nextPart()) return;
      const take = Math.min(this.partLeft, data.length - offset);
      const slice = data.subarray(offset, offset + take);
      for (const [, d] of this.current) d.update(slice);
      this.partLeft -= take;
      offset += take;
    }
  }

  result(): HashResult {
    if (this.partAlgorithms.length > 0 && this.current.length > 0 && this.partIndex < this.partSizes.length) this.closePart();
    const whole: HashResult['whole'] = {};
    for (const [a, d] of this.whole) whole[a] = d.digest();
    return { size: this.size, whole, parts: this.partDigests };
  }

  private startPart(): void {
    if (this.partAlgorithms.length === 0 || this.partIndex >= this.partSizes.length) return;
    this.current = this.partAlgorithms.map((a) => [a, newDigester(a)]);
    this.partLeft = this.partSizes[this.partIndex]!;
  }

  private closePart(): void {
    for (const [a, d] of this.current) this.partDigests[a]!.push(d.digest());
    this.current = [];
    this.partIndex++;
  }

  private nextPart(): boolean {
    if (this.current.length > 0) this.closePart();
    if (this.partIndex >= this.partSizes.length) return false;
    this.startPart();
    return true;
  }
}

/** Reads a file once and returns what was asked; `onBytes` sees every chunk (for progress). */
export async function hashFile(path: string, request: HashRequest, options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<HashResult> {
  const digest = new MultiDigest(request);
  const handle = await open(path, 'r');
  try {
    // Sized to the file: thousands of small files must not each leave a 1 MiB buffer for the collector.
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, (await handle.stat()).size + 1));
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
