import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from './crc32c.js';
import { Crc64Nvme } from './crc64nvme.js';

/** S3's additional checksums, and MD5 for ETags. */
export type Algorithm = 'MD5' | 'SHA1' | 'SHA256' | 'CRC32' | 'CRC32C' | 'CRC64NVME';
export const S3_CHECKSUMS = ['CRC64NVME', 'CRC32', 'CRC32C', 'SHA256', 'SHA1'] as const;
export type S3Checksum = (typeof S3_CHECKSUMS)[number];

/** The full-object checksums we ask S3 for when storing. CRC64NVME is S3's default; CRC32 is what moto (and others) get right. */
export type ChecksumAlgorithm = Extract<S3Checksum, 'CRC64NVME' | 'CRC32'>;
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC64NVME', 'CRC32'];

export const DIGEST_BYTES: Record<Algorithm, number> = { MD5: 16, SHA1: 20, SHA256: 32, CRC32: 4, CRC32C: 4, CRC64NVME: 8 };

/** A running digest; `digest()` gives the value's bytes (big-endian for the CRCs, as S3 carries them). */
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
