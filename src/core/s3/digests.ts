import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { InterruptedError } from '../../errors.js';
import { Crc64Nvme } from './crc64nvme.js';

/** The full-object checksums we ask S3 for. CRC64NVME is S3's default; CRC32 is what moto (and others) get right. */
export type ChecksumAlgorithm = 'CRC64NVME' | 'CRC32';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC64NVME', 'CRC32'];

export interface RunningChecksum {
  update(data: Uint8Array): void;
  /** Base64 of the big-endian value, as S3's x-amz-checksum-* headers carry it. */
  digest(): string;
}

export function newChecksum(algorithm: ChecksumAlgorithm): RunningChecksum {
  if (algorithm === 'CRC64NVME') {
    const crc = new Crc64Nvme();
    return { update: (data) => crc.update(data), digest: () => crc.digest().toString('base64') };
  }
  let value = 0;
  return {
    update: (data) => {
      value = crc32(data, value);
    },
    digest: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(value >>> 0);
      return out.toString('base64');
    },
  };
}

/** What we know about a run of bytes: enough to check S3's checksum, its ETag and our own SHA-256 metadata. */
export interface Digests {
  size: number;
  sha256: string;
  /** Hex; '' where it was not computed (bytes that go up in parts). */
  md5: string;
  checksum: string;
}

/** SHA-256, MD5 and the S3 checksum of a byte stream, fed in pieces. */
export class ContentDigest {
  private readonly sha = createHash('sha256');
  private readonly md5: Hash | undefined;
  private readonly crc: RunningChecksum;
  private size = 0;

  /** `md5: false` for bytes that go up in parts: their ETag is never an MD5, and MD5 costs as much as SHA-256. */
  constructor(algorithm: ChecksumAlgorithm, options: { md5?: boolean } = {}) {
    this.crc = newChecksum(algorithm);
    this.md5 = options.md5 === false ? undefined : createHash('md5');
  }

  update(data: Uint8Array): void {
    this.sha.update(data);
    this.md5?.update(data);
    this.crc.update(data);
    this.size += data.length;
  }

  result(): Digests {
    return { size: this.size, sha256: this.sha.digest('hex'), md5: this.md5?.digest('hex') ?? '', checksum: this.crc.digest() };
  }
}

/** Checksums of one buffer (tests, small files). */
export function digestBuffer(data: Uint8Array, algorithm: ChecksumAlgorithm): Digests {
  const digest = new ContentDigest(algorithm);
  digest.update(data);
  return digest.result();
}

/** What a part needs: its S3 checksum, and its MD5 to recognise it in ListParts where S3 lists no checksum. */
export function partDigest(data: Uint8Array, algorithm: ChecksumAlgorithm): { size: number; md5: string; checksum: string } {
  const crc = newChecksum(algorithm);
  crc.update(data);
  return { size: data.length, md5: createHash('md5').update(data).digest('hex'), checksum: crc.digest() };
}

export function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const READ_CHUNK = 1024 * 1024;

/** Reads a file once and returns its digests; `onBytes` sees every chunk (for progress). */
export async function digestFile(
  path: string,
  algorithm: ChecksumAlgorithm,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
  options: { scratch?: Buffer; md5?: boolean } = {},
): Promise<Digests> {
  const digest = new ContentDigest(algorithm, options);
  const scratch = options.scratch;
  const handle = await open(path, 'r');
  try {
    // A caller's scratch buffer, or one sized to the file: thousands of small files must not each leave a 1 MiB
    // buffer for the collector.
    const buffer = scratch ?? Buffer.allocUnsafe(Math.min(READ_CHUNK, (await handle.stat()).size + 1));
    for (;;) {
      if (signal?.aborted) throw new InterruptedError();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      digest.update(buffer.subarray(0, bytesRead));
      onBytes(bytesRead);
    }
  } finally {
    await handle.close();
  }
  return digest.result();
}
