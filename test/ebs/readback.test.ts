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
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceSha256, readBackScript } from '../../src/core/ebs/dd-transfer.js';
import { connectSsh } from '../../src/ssh/connection.js';
import { parseSshFlags } from '../../src/ssh/flags.js';
import { hostKeyPolicy } from '../../src/ssh/host-key.js';
import type { SshSession } from '../../src/ssh/types.js';
import { startSshd, type SshdHandle } from '../sandbox/sshd.js';

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
    expect(script).toContain('count=12288');
    expect(script).toContain('head -c 10240');
    expect(readBackScript('/dev/nvme1n1', 10_240, { flush: true })).toMatch(/; sync '?\/dev\/nvme1n1'? &/);
  });

  it('hashes exactly the image, flushing the device alongside', async () => {
    const image = randomBytes(3 * MiB + 10_240); // not a multiple of 4 KiB, like most tar streams
    await writeThroughDevice(Buffer.concat([image, randomBytes(8192)]));
    expect(await deviceSha256(session, loop, image.length, undefined, { flush: true })).toBe(sha256(image));
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

    const proved = await deviceSha256(session, loop, image.length, undefined, { flush: true });
    expect(proved).not.toBe(sha256(image));
    expect(proved).toBe(sha256(onDisk));
  });

  it('fails in one line when the device cannot be read', async () => {
    await expect(deviceSha256(session, path.join(dir, 'no-such-device'), 4096)).rejects.toThrow(/^could not read back .*no-such-device on the instance: .*No such file/);
  });
});
