/**
 * Proves the sandbox itself: moto answers, sshd answers, attached volumes become loop devices at their NVMe
 * by-id names, bytes survive detach and re-attach, and stop() leaves nothing behind.
 */
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, open, readFile, readlink, realpath, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ebsByIdName, GiB, startAttachAgent } from './attach-agent.js';
import { startMoto } from './moto.js';
import { sandboxAvailable, sandboxUnavailableMessage } from './require.js';
import { exportLines, startSandbox, type Sandbox } from './sandbox.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

async function blockDeviceSize(device: string): Promise<number> {
  const { stdout } = await run('blockdev', ['--getsize64', device]);
  return Number(stdout.trim());
}

/** Loop devices backed by `file` (`losetup -j`), as device paths. */
async function loopsBackedBy(file: string): Promise<string[]> {
  const { stdout } = await run('losetup', ['-j', file]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':')[0]!);
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function writeAt(file: string, offset: number, data: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(data, 0, data.length, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function launchInstance(ec2: EC2Client, az: string): Promise<{ instanceId: string; rootVolumeId: string }> {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.[0]?.ImageId;
  expect(imageId).toBeTruthy();
  const reservation = await ec2.send(
    new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', Placement: { AvailabilityZone: az } }),
  );
  const instanceId = reservation.Instances![0]!.InstanceId!;
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const rootVolumeId = described.Reservations![0]!.Instances![0]!.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
  return { instanceId, rootVolumeId };
}

async function createVolume(ec2: EC2Client, sizeGiB: number, az: string): Promise<string> {
  const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: sizeGiB, VolumeType: 'gp3' }));
  return volume.VolumeId!;
}

describe('moto launcher', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'offsite-moto-test-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('says moto is not found when the interpreter does not exist', async () => {
    await expect(startMoto(path.join(scratch, 'a'), { python: path.join(scratch, 'no-such-python3') })).rejects.toThrow(
      /^sandbox: moto not found \(python3 -m moto\.server\) — /,
    );
  });

  it('says moto is not found when python lacks the module', async () => {
    const fake = path.join(scratch, 'python-without-moto');
    await writeFile(fake, `#!/bin/sh\necho "/usr/bin/python3: Error while finding module specification for 'moto.server' (ModuleNotFoundError: No module named 'moto')" >&2\nexit 1\n`);
    await chmod(fake, 0o755);
    await expect(startMoto(path.join(scratch, 'b'), { python: fake })).rejects.toThrow(/^sandbox: moto not found/);
  });

  it('reports the log tail when the server dies on start', async () => {
    const fake = path.join(scratch, 'python-that-crashes');
    await writeFile(fake, '#!/bin/sh\necho "boom: something specific went wrong" >&2\nexit 3\n');
    await chmod(fake, 0o755);
    const failure = startMoto(path.join(scratch, 'c'), { python: fake });
    await expect(failure).rejects.toThrow(/moto exited \(exit code 3\)/);
    await expect(failure).rejects.toThrow(/boom: something specific went wrong/);
  });
});

describe('attach agent without moto', () => {
  it('reports poll errors, keeps going, and stops promptly', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'offsite-agent-test-'));
    try {
      const agent = await startAttachAgent({
        endpoint: 'http://127.0.0.1:9', // discard port: nothing listens
        region: 'us-east-1',
        dir: scratch,
        byIdDir: path.join(scratch, 'by-id'),
        intervalMs: 10,
      });
      const errors: Error[] = [];
      agent.events.on('poll-error', (error) => errors.push(error));
      await agent.nextPoll();
      await agent.nextPoll();
      expect(errors.length).toBeGreaterThanOrEqual(2);
      const waiting = agent.whenAttached('vol-0123456789abcdef0', 60_000);
      const started = Date.now();
      await agent.stop();
      expect(Date.now() - started).toBeLessThan(30_000); // half the 60 s the waiter would otherwise wait
      await expect(waiting).rejects.toThrow(/stopped while waiting/);
      await expect(agent.nextPoll()).rejects.toThrow(/stopped/);
      await agent.stop();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('sandbox guard', () => {
  it('fails (never skips) with a CI message or a set-up hint', () => {
    expect(sandboxUnavailableMessage(['rsync'], true)).toMatch(/missing rsync — CI=true, so this is a test failure/);
    expect(sandboxUnavailableMessage(['rsync', 'tar'], false)).toMatch(/missing rsync, tar — run `bash scripts\/setup.sh`/);
  });

  it('shell-quotes exported values', () => {
    expect(exportLines({ A: 'plain/path:1', B: "-o It's=x -p 22" })).toEqual([
      'export A=plain/path:1',
      `export B='-o It'\\''s=x -p 22'`,
    ]);
  });
});

describe('sandbox', () => {
  let sandbox: Sandbox;
  let instanceId: string;
  let rootVolumeId: string;
  let volumeId: string;
  const payload = randomBytes(MiB);
  const payloadOffset = 300 * MiB + 4096;

  beforeAll(async () => {
    await sandboxAvailable();
    sandbox = await startSandbox();
    ({ instanceId, rootVolumeId } = await launchInstance(sandbox.ec2(), 'us-east-1a'));
  }, 600_000);

  afterAll(async () => {
    await sandbox?.stop();
  }, 600_000);

  it('gives an environment the SDK default chain uses to reach moto', async () => {
    expect(sandbox.env).toMatchObject({
      AWS_ENDPOINT_URL: sandbox.moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      EC2_BACKUP_FLAGS_SSH: sandbox.sshd.sshFlags,
      OFFSITE_STATE_DIR: path.join(sandbox.dir, 'state'),
    });
    expect(sandbox.moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // A fresh process with nothing but the sandbox env (no endpoint or region in code) must find moto.
    const script = `
      import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
      const answer = await new EC2Client({}).send(new DescribeInstancesCommand({}));
      console.log(JSON.stringify(answer.Reservations.flatMap((r) => r.Instances.map((i) => i.InstanceId))));`;
    const { PATH, HOME } = process.env;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env: { PATH: PATH ?? '', HOME: HOME ?? '/root', ...sandbox.env },
    });
    expect(JSON.parse(stdout)).toContain(instanceId);
  }, 600_000);

  it('answers a repeated CreateVolume or RunInstances with the same ClientToken with what the first made, as EC2 does', async () => {
    const ec2 = sandbox.ec2();
    const volume = { AvailabilityZone: 'us-east-1a', Size: 1, ClientToken: `token-${randomBytes(4).toString('hex')}` };
    const first = await ec2.send(new CreateVolumeCommand(volume));
    const again = await ec2.send(new CreateVolumeCommand(volume));
    expect(again.VolumeId).toBe(first.VolumeId);
    const other = await ec2.send(new CreateVolumeCommand({ ...volume, ClientToken: `${volume.ClientToken}-other` }));
    expect(other.VolumeId).not.toBe(first.VolumeId);
    const images = await ec2.send(new DescribeImagesCommand({}));
    const launch = { ImageId: images.Images![0]!.ImageId!, MinCount: 1, MaxCount: 1, ClientToken: `token-${randomBytes(4).toString('hex')}` };
    const ran = await ec2.send(new RunInstancesCommand(launch));
    const reran = await ec2.send(new RunInstancesCommand(launch));
    expect(reran.Instances!.map((i) => i.InstanceId)).toEqual(ran.Instances!.map((i) => i.InstanceId));
  }, 600_000);

  it('has sshd answering with an OpenSSH banner', async () => {
    const banner = await new Promise<string>((resolve, reject) => {
      const socket = connect(sandbox.sshd.port, sandbox.sshd.host);
      socket.setTimeout(30_000, () => socket.destroy(new Error('no banner within 30 s')));
      socket.once('data', (data) => {
        resolve(data.toString('latin1'));
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
  });

  it('exposes an attached volume as a loop block device of its size at the NVMe by-id name', async () => {
    const ec2 = sandbox.ec2();
    volumeId = await createVolume(ec2, 2, 'us-east-1a');
    const link = path.join('/dev/disk/by-id', `nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`);
    expect(sandbox.agent.linkPath(volumeId)).toBe(link);
    expect(existsSync(link)).toBe(false);

    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf' }));
    const attached = await sandbox.agent.whenAttached(volumeId, 10_000);

    expect(attached).toMatchObject({ volumeId, instanceId, deviceName: '/dev/sdf', sizeGiB: 2, loop: true, link });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    const device = await realpath(link);
    expect(device).toMatch(/^\/dev\/loop\d+$/);
    expect(device).toBe(sandbox.agent.devicePath(volumeId));
    expect((await stat(device)).isBlockDevice()).toBe(true);
    expect(await blockDeviceSize(link)).toBe(2 * GiB);
    expect(await loopsBackedBy(sandbox.volumeFile(volumeId))).toEqual([device]);

    // The backing file has the volume's size but is sparse.
    const file = await stat(sandbox.volumeFile(volumeId));
    expect(file.size).toBe(2 * GiB);
    expect(file.blocks * 512).toBeLessThan(MiB);
  }, 600_000);

  it("leaves the instance's root volume alone", async () => {
    await sandbox.agent.nextPoll();
    expect(existsSync(sandbox.agent.linkPath(rootVolumeId))).toBe(false);
    expect(sandbox.agent.devicePath(rootVolumeId)).toBeUndefined();
    expect(sandbox.agent.attached().map((v) => v.volumeId)).toEqual([volumeId]);
  });

  it('keeps bytes written through the device in the backing file after detach', async () => {
    const link = sandbox.agent.linkPath(volumeId);
    const device = await realpath(link);
    await writeAt(link, payloadOffset, payload);

    await sandbox.ec2().send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }));
    await sandbox.agent.whenDetached(volumeId, 10_000);

    await expect(lstat(link)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(sandbox.agent.devicePath(volumeId)).toBeUndefined();
    expect(await loopsBackedBy(sandbox.volumeFile(volumeId))).toEqual([]);
    expect(existsSync(`/sys/block/${path.basename(device)}/loop/backing_file`)).toBe(false);
    expect((await readAt(sandbox.volumeFile(volumeId), payloadOffset, payload.length)).equals(payload)).toBe(true);
  }, 600_000);

  it('gives a re-attached volume the same backing file, content intact', async () => {
    const ec2 = sandbox.ec2();
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdg' }));
    const attached = await sandbox.agent.whenAttached(volumeId, 10_000);
    expect(attached.file).toBe(sandbox.volumeFile(volumeId));
    expect(attached.deviceName).toBe('/dev/sdg');
    expect(await blockDeviceSize(attached.link!)).toBe(2 * GiB);
    expect((await readAt(attached.link!, payloadOffset, payload.length)).equals(payload)).toBe(true);
    // Nothing else in the volume was touched.
    expect((await readAt(attached.link!, 0, 4096)).equals(Buffer.alloc(4096))).toBe(true);
  }, 600_000);

  it('a volume detached while still mounted is unmounted, as a terminated instance loses its mounts; the data stays', async () => {
    const ec2 = sandbox.ec2();
    const link = sandbox.agent.linkPath(volumeId);
    // Where offsite mounts on an instance: the agent treats mounts there as the instance's.
    const mountPoint = `/mnt/offsite-agent-test-${process.pid}`;
    await mkdir(mountPoint, { recursive: true });
    await run('mkfs.ext4', ['-q', '-F', link]);
    await run('mount', [link, mountPoint]);
    await writeFile(path.join(mountPoint, 'hello.txt'), 'kept across detach\n');
    await ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }));
    await sandbox.agent.whenDetached(volumeId, 60_000);
    await expect(lstat(link)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readFile('/proc/self/mountinfo', 'utf8')).includes(mountPoint)).toBe(false);
    // The lazy unmount lets the kernel free the device once the last user is gone; the agent checks on each poll.
    for (let i = 0; i < 50 && (await loopsBackedBy(sandbox.volumeFile(volumeId))).length > 0; i++) await sandbox.agent.nextPoll();
    expect(await loopsBackedBy(sandbox.volumeFile(volumeId))).toEqual([]);

    // The filesystem is in the backing file: attach again and read the file back.
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf' }));
    await sandbox.agent.whenAttached(volumeId, 10_000);
    await run('mount', ['-o', 'ro', link, mountPoint]);
    try {
      expect(await readFile(path.join(mountPoint, 'hello.txt'), 'utf8')).toBe('kept across detach\n');
    } finally {
      await run('umount', [mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    }
  }, 600_000);

  it('never replaces or removes a by-id link it did not create', async () => {
    const ec2 = sandbox.ec2();
    const other = await createVolume(ec2, 1, 'us-east-1a');
    const link = sandbox.agent.linkPath(other);
    const foreignTarget = path.join(sandbox.dir, 'not-the-agents');
    await symlink(foreignTarget, link);
    try {
      const warnings = sandbox.warnings.length;
      await ec2.send(new AttachVolumeCommand({ VolumeId: other, InstanceId: instanceId, Device: '/dev/sdh' }));
      const attached = await sandbox.agent.whenAttached(other, 10_000);
      expect(attached.link).toBeUndefined();
      expect(await readlink(link)).toBe(foreignTarget);
      expect(sandbox.warnings.slice(warnings).join('\n')).toMatch(/already exists and is not ours/);

      await ec2.send(new DetachVolumeCommand({ VolumeId: other, InstanceId: instanceId }));
      await sandbox.agent.whenDetached(other, 10_000);
      expect(await readlink(link)).toBe(foreignTarget);
      expect(await loopsBackedBy(sandbox.volumeFile(other))).toEqual([]);
    } finally {
      await unlink(link);
    }
  }, 600_000);

  it('links the backing file itself when loop devices are not used', async () => {
    const ec2 = sandbox.ec2();
    const other = await createVolume(ec2, 1, 'us-east-1a');
    const byIdDir = path.join(sandbox.dir, 'by-id-noloop');
    const agentDir = path.join(sandbox.dir, 'noloop');
    const agent = await startAttachAgent({ endpoint: sandbox.moto.endpoint, region: sandbox.region, dir: agentDir, byIdDir, useLoop: false });
    try {
      await ec2.send(new AttachVolumeCommand({ VolumeId: other, InstanceId: instanceId, Device: '/dev/sdi' }));
      const attached = await agent.whenAttached(other, 10_000);
      expect(attached.loop).toBe(false);
      expect(attached.link).toBe(path.join(byIdDir, ebsByIdName(other)));
      expect(await readlink(attached.link!)).toBe(path.join(agentDir, 'volumes', `${other}.img`));
      expect((await stat(attached.link!)).size).toBe(GiB);
    } finally {
      await agent.stop();
      await ec2.send(new DetachVolumeCommand({ VolumeId: other, InstanceId: instanceId }));
    }
    expect(existsSync(path.join(byIdDir, ebsByIdName(other)))).toBe(false);
    expect(existsSync(path.join(agentDir, 'volumes', `${other}.img`))).toBe(true);
  }, 600_000);

  it('detaches everything when moto is reset', async () => {
    await sandbox.agent.whenAttached(volumeId, 10_000);
    await sandbox.moto.reset();
    await sandbox.agent.whenDetached(volumeId, 10_000);
    expect(existsSync(sandbox.agent.linkPath(volumeId))).toBe(false);
    expect(await loopsBackedBy(sandbox.volumeFile(volumeId))).toEqual([]);
    const after = await sandbox.ec2().send(new DescribeVolumesCommand({}));
    expect(after.Volumes ?? []).toEqual([]);
    // Relaunch for the tests after this one.
    ({ instanceId, rootVolumeId } = await launchInstance(sandbox.ec2(), 'us-east-1a'));
  }, 600_000);

  it('stop() leaves no loop device, no link, no process and no temp dir, even with a volume still mounted', async () => {
    const ec2 = sandbox.ec2();
    const last = await createVolume(ec2, 1, 'us-east-1a');
    await ec2.send(new AttachVolumeCommand({ VolumeId: last, InstanceId: instanceId, Device: '/dev/sdj' }));
    const attached = await sandbox.agent.whenAttached(last, 10_000);
    const link = attached.link!;
    const file = attached.file;
    // As a failed test would leave it: formatted and mounted.
    const mountPoint = path.join(sandbox.dir, 'mnt-left-behind');
    await mkdir(mountPoint);
    await run('mkfs.ext4', ['-q', '-F', link]);
    await run('mount', [link, mountPoint]);

    const { dir, moto, sshd } = sandbox;
    const started = Date.now();
    await sandbox.stop();
    const elapsed = Date.now() - started;

    expect(existsSync(link)).toBe(false);
    const { stdout: loops } = await run('losetup', ['-a']);
    expect(loops).not.toContain(dir);
    expect(existsSync(file)).toBe(false); // the temp dir went with the sandbox
    expect(existsSync(dir)).toBe(false);
    expect((await readFile('/proc/self/mountinfo', 'utf8')).includes(mountPoint)).toBe(false);
    for (const pid of [moto.pid, sshd.pid]) expect(() => process.kill(pid, 0)).toThrow();
    await expect(fetch(moto.endpoint, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(elapsed).toBeLessThan(60_000); // no child is left to run out a kill grace period

    // Idempotent.
    await sandbox.stop();
  }, 600_000);
});
