/**
 * The dd proof reads the image back from the device, not from the page cache its writes went through: a loop
 * device whose backing file is changed underneath it (while the loop device's own cache still holds the old
 * bytes) must hash to the new bytes. Real sshd, real loop device, real dd.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { open, mkdtemp, rm, writeFile, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceSha256 } from '../../../src/core/ebs/dd-transfer.js';
import { checkReadBack, parseReadBack, readBackScript, writeWithReadBackScript } from '../../../src/core/ebs/read-back.js';
import { connectSsh } from '../../../src/ssh/connection.js';
import { parseSshFlags } from '../../../src/ssh/flags.js';
import { hostKeyPolicy } from '../../../src/ssh/host-key.js';
import type { SshSession } from '../../../src/ssh/types.js';
import { startSshd, type SshdHandle } from '../../sandbox/sshd.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

let dir: string;
let sshd: SshdHandle;
let session: SshSession;
let loop: string;
let backing: string;
/** Held open so the loop device's page cache outlives each dd (the last close of a block device drops it). */
let holder: FileHandle;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'offsite-readback-'));
  sshd = await startSshd(path.join(dir, 'sshd'));
  const options = parseSshFlags(sshd.sshFlags, 'EC2_BACKUP_FLAGS_SSH', { homeDir: dir });
  const expectation = await hostKeyPolicy({ host: '198.51.100.30', options, homeDir: dir });
  session = await connectSsh({ host: '198.51.100.30', options, defaultUser: 'root', expectation, agentSocket: null, homeDir: dir });
  backing = path.join(dir, 'volume.img');
  await run('truncate', ['-s', String(64 * MiB), backing]);
  loop = (await run('losetup', ['--find', '--show', backing])).stdout.trim();
  holder = await open(loop, 'r');
}, 120_000);

afterAll(async () => {
  await holder?.close();
  if (loop) await run('losetup', ['-d', loop]).catch(() => undefined);
  await session?.close();
  await sshd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Writes `data` at the start of the loop device through its page cache, flushed to the backing file. */
async function writeThroughDevice(data: Buffer): Promise<void> {
  const file = path.join(dir, 'image');
  await writeFile(file, data);
  await run('dd', [`if=${file}`, `of=${loop}`, 'bs=1M', 'conv=fsync', 'status=none']);
}

/** Changes the backing file underneath the loop device: what a disk that lost or mangled the writes would hold. */
async function corruptBacking(offset: number, bytes: Buffer): Promise<void> {
  const file = await open(backing, 'r+');
  try {
    await file.write(bytes, 0, bytes.length, offset);
  } finally {
    await file.close();
  }
}

describe('the dd read-back', () => {
  it('reads the device with O_DIRECT, rounded up to whole 4 KiB blocks and cut back to the image', () => {
    const script = readBackScript('/dev/nvme1n1', 10_240);
    expect(script).toContain('iflag=direct');
    expect(script).toContain('count=$(( (10240 + 4095) / 4096 * 4096 ))');
    expect(script).toContain('head -c 10240');
  });

  it('hashes exactly the image', async () => {
    const image = randomBytes(3 * MiB + 10_240); // not a multiple of 4 KiB, like most tar streams
    await writeThroughDevice(Buffer.concat([image, randomBytes(8192)]));
    expect(await deviceSha256(session, loop, image.length)).toBe(sha256(image));
    // A length that is not whole device blocks: read rounded up, cut back.
    expect(await deviceSha256(session, loop, image.length - 1000)).toBe(sha256(image.subarray(0, image.length - 1000)));
  });

  it('sees bytes that differ on the device even while the page cache still holds what dd wrote', async () => {
    const image = randomBytes(4 * MiB + 10_240);
    await writeThroughDevice(image);
    const damage = Buffer.alloc(4096, 0x5a);
    await corruptBacking(2 * MiB, damage);
    const onDisk = Buffer.from(image);
    damage.copy(onDisk, 2 * MiB);

    // A buffered read still answers from the cache: the old proof would have vouched for bytes the device lacks.
    const buffered = await session.exec(`head -c ${image.length} ${loop} | sha256sum`);
    expect(buffered.stdout.slice(0, 64)).toBe(sha256(image));

    const proved = await deviceSha256(session, loop, image.length);
    expect(proved).not.toBe(sha256(image));
    expect(proved).toBe(sha256(onDisk));
  });

  it('fails in one line when the device cannot be read', async () => {
    await expect(deviceSha256(session, path.join(dir, 'no-such-device'), 4096)).rejects.toThrow(/^could not read back .*no-such-device on the instance: .*No such file/);
  });
});

/** Runs the backup's write-and-read-back script on the loop device with `image` as its stdin. */
async function writeWithReadBack(image: Buffer, segmentBytes: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const remote = session.spawn(`sh -c '${writeWithReadBackScript(loop, segmentBytes).replaceAll("'", "'\\''")}'`, {});
  let stdout = '';
  let stderr = '';
  remote.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  remote.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  await pipeline(Readable.from([image.subarray(0, 1000), image.subarray(1000)]), remote.stdin);
  const status = await remote.done;
  return { stdout, stderr, code: status.code };
}

describe('reading back while writing', () => {
  const SEGMENT = 4 * MiB;

  it('writes the stream and hashes the image back off the device, segment by segment with O_DIRECT on both sides', async () => {
    const script = writeWithReadBackScript('/dev/nvme1n1', SEGMENT);
    expect(script).toMatch(/dd of=\S+ bs=4M iflag=fullblock oflag=direct/);
    expect(script).toMatch(/dd if=\S+ iflag=direct/);
    expect(script).toMatch(/^sync \S+ & flush=/m); // the device's write cache, flushed beside the last read

    await writeThroughDevice(Buffer.alloc(16 * MiB, 0xee)); // old contents the new image must replace
    const image = randomBytes(2 * SEGMENT + 10_240);
    const run = await writeWithReadBack(image, SEGMENT);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // One hasher over every segment's read-back, in order: a segment read twice, out of turn or not at all shows.
    const read = parseReadBack(run.stdout);
    expect(read).toEqual({ bytes: image.length, sha256: sha256(image) });
    expect(() => checkReadBack(loop, { bytes: image.length, sha256: sha256(image) }, read)).not.toThrow();
    expect(await deviceSha256(session, loop, image.length)).toBe(sha256(image));
  });

  it('ends cleanly when the stream is a whole number of segments', async () => {
    const image = randomBytes(2 * SEGMENT);
    const run = await writeWithReadBack(image, SEGMENT);
    expect(run.code).toBe(0);
    expect(parseReadBack(run.stdout)).toEqual({ bytes: image.length, sha256: sha256(image) });
  });

  it('fails on a length that does not add up, a hash that differs, or one that never came', () => {
    const sent = { bytes: 4096, sha256: 'a'.repeat(64) };
    expect(() => checkReadBack('/dev/x', sent, { sha256: 'f'.repeat(64), bytes: 4096 })).toThrow(
      /^verification failed: the 4096 bytes of \/dev\/x read back \(O_DIRECT\) hash to SHA-256 f{64}, the stream's to a{64}$/,
    );
    expect(() => checkReadBack('/dev/x', sent, { sha256: sent.sha256, bytes: 4095 })).toThrow(/took 4095 bytes, the stream was 4096/);
    expect(() => checkReadBack('/dev/x', sent, { sha256: undefined, bytes: 4096 })).toThrow(/were never read back/);
    expect(() => checkReadBack('/dev/x', sent, { sha256: undefined, bytes: undefined })).toThrow(/took an unknown number of bytes/);
  });

  it('stops with dd\'s own message when the device is full', async () => {
    const image = randomBytes(64 * MiB + 4 * MiB); // the loop device holds 64 MiB
    const run = await writeWithReadBack(image, 16 * MiB).catch((error: unknown) => ({ stdout: '', stderr: String(error), code: -1 }));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/No space left on device/);
  });
});
