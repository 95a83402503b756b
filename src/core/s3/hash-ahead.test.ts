import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFile } from '../checksums/file-hash.js';
import { deferredHashes, hashAhead } from './hash-ahead.js';
import type { LocalFile } from './local-files.js';

let dir: string;
const files: LocalFile[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hash-ahead-'));
  for (let i = 0; i < 4; i++) {
    const path = join(dir, `f${i}`);
    await writeFile(path, Buffer.alloc(100_000 * (i + 1), i + 1));
    files.push({ path, rel: `f${i}`, size: 100_000 * (i + 1), mtimeMs: 0 });
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hashing large files as they are sent', () => {
  it('leaves the first large file to the hash phase and defers only the other large ones', () => {
    expect([...deferredHashes(files, (f) => f.size >= 200_000)]).toEqual(['f2', 'f3']);
    expect([...deferredHashes(files, (f) => f.size >= 400_000)]).toEqual([]);
  });

  it('gives each file the digests a read of it gives', async () => {
    const ahead = hashAhead(files, 'CRC32', new AbortController().signal);
    for (const file of files) expect(await ahead.get(file.rel)).toEqual(await digestFile(file.path, 'CRC32', () => undefined, undefined, { md5: false }));
  });

  it('a stop fails the files not yet hashed, and nobody waiting for them is left with an unhandled failure', async () => {
    const stop = new AbortController();
    const ahead = hashAhead(files, 'CRC32', stop.signal);
    stop.abort();
    await expect(ahead.get('f3')).rejects.toThrow();
  });
});
