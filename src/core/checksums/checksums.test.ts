import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandom } from '../../../test/helpers/trees.js';
import { digestOf, newDigester, type Algorithm } from './algorithms.js';
import { compositeChecksum, multipartEtag } from './composite.js';
import { digestBuffer, sha256Of } from './content.js';
import { digestFile, hashFile } from './file-hash.js';
import { MultiDigest } from './multi-digest.js';

const CHECK = Buffer.from('123456789');

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'offsite-checksums-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('checksum algorithms', () => {
  it('match the catalogue check values of "123456789" (CRCs big-endian, as S3 carries them)', () => {
    const expected: Record<Algorithm, string> = {
      CRC32: 'cbf43926',
      CRC32C: 'e3069283',
      CRC64NVME: 'ae8b14860a799888',
      MD5: '25f9e794323b453885f5181f1b624d0b',
      SHA1: 'f7c3bc1d808e04732adf679965ccc34ca7ae3441',
      SHA256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
    };
    for (const [algorithm, hex] of Object.entries(expected)) expect(digestOf(algorithm as Algorithm, CHECK).toString('hex'), algorithm).toBe(hex);
    expect(digestOf('CRC64NVME', Buffer.alloc(0)).toString('hex')).toBe('0000000000000000');
  });

  it('CRC32C and CRC64NVME agree with the AWS SDK\'s own implementations', async () => {
    for (const length of [0, 1, 7, 8, 9, 1000, 65_537]) {
      const data = pseudoRandom(length, length + 1);
      const c = new Crc32cJs();
      c.update(data);
      expect(digestOf('CRC32C', data)).toEqual(Buffer.from(await c.digest()));
      const n = new Crc64NvmeJs();
      n.update(data);
      expect(digestOf('CRC64NVME', data)).toEqual(Buffer.from(await n.digest()));
    }
  });

  it('give the same value however the bytes are split', () => {
    const data = pseudoRandom(100_003, 9);
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA256'] as const) {
      const pieces = newDigester(algorithm);
      for (let i = 0; i < data.length; i += 4097) pieces.update(data.subarray(i, i + 4097));
      expect(pieces.digest()).toEqual(digestOf(algorithm, data));
    }
  });
});

describe('content digests', () => {
  it('hex SHA-256 and MD5, base64 checksum; MD5 left out on request', async () => {
    const digests = digestBuffer(CHECK, 'CRC32');
    expect(digests).toEqual({ size: 9, sha256: sha256Of(CHECK), md5: '25f9e794323b453885f5181f1b624d0b', checksum: Buffer.from('cbf43926', 'hex').toString('base64') });
    const path = join(dir, 'check');
    await writeFile(path, CHECK);
    let seen = 0;
    expect(await digestFile(path, 'CRC32', (n) => void (seen += n))).toEqual(digests);
    expect(seen).toBe(9);
    expect(await digestFile(path, 'CRC32', () => undefined, undefined, { md5: false, scratch: Buffer.alloc(4) })).toEqual({ ...digests, md5: '' });
  });

  it('a file is read once for whole and per-part digests; an aborted read stops', async () => {
    const data = pseudoRandom(3 * 1024 * 1024 + 5, 2);
    const path = join(dir, 'parts');
    await writeFile(path, data);
    const hashed = await hashFile(path, { whole: ['SHA256'], parts: { sizes: [2 * 1024 * 1024, 1024 * 1024 + 5], algorithms: ['MD5'] } });
    expect(hashed.size).toBe(data.length);
    expect(hashed.whole.SHA256!.toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(hashed.parts.MD5).toEqual([digestOf('MD5', data.subarray(0, 2 * 1024 * 1024)), digestOf('MD5', data.subarray(2 * 1024 * 1024))]);
    const stop = new AbortController();
    stop.abort();
    await expect(hashFile(path, { whole: ['SHA256'] }, { signal: stop.signal })).rejects.toThrow(/interrupted/);
  });

  it('one pass yields whole-file and per-part digests, whatever the chunking', () => {
    const data = pseudoRandom(10_000, 3);
    const sizes = [4096, 4096, 1808];
    const digest = new MultiDigest({ whole: ['SHA256', 'MD5'], parts: { sizes, algorithms: ['MD5', 'SHA256'] } });
    for (let at = 0; at < data.length; at += 777) digest.update(data.subarray(at, at + 777));
    const result = digest.result();
    expect(result.size).toBe(10_000);
    expect(result.whole.SHA256!.toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(result.parts.MD5!.map((d) => d.toString('hex'))).toEqual([
      createHash('md5').update(data.subarray(0, 4096)).digest('hex'),
      createHash('md5').update(data.subarray(4096, 8192)).digest('hex'),
      createHash('md5').update(data.subarray(8192)).digest('hex'),
    ]);
  });

  it('a multipart ETag and a composite checksum come from the parts\' digests', () => {
    const parts = [Buffer.from('a'), Buffer.from('b')];
    const md5s = parts.map((p) => digestOf('MD5', p));
    expect(multipartEtag(md5s)).toBe(`${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-2`);
    const crcs = parts.map((p) => digestOf('CRC32', p));
    expect(compositeChecksum('CRC32', crcs)).toBe(digestOf('CRC32', Buffer.concat(crcs)).toString('base64'));
  });
});
