import { AttachVolumeCommand, CreateVolumeCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { writeFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { runCli } from '../../helpers/cli.js';
import { liveInstances, volumeIds } from '../../helpers/moto-state.js';

const fx = useSandbox('badinput');
let dir: string;

beforeAll(async () => {
  dir = join(fx.work, 'data');
  await mkdir(dir);
  await writeFile(join(dir, 'file'), 'some data\n');
});

/** Runs ec2-backup expecting a one-line error, a non-zero exit, empty stdout and nothing new in moto. */
async function expectRefused(args: string[], message: RegExp, extraEnv: Record<string, string | undefined> = {}, code = 2): Promise<void> {
  const ec2 = fx.sandbox.ec2();
  const volumesBefore = await volumeIds(ec2);
  const instancesBefore = await liveInstances(ec2);
  const result = await runCli('ec2-backup', args, { env: { ...fx.env, ...extraEnv } });
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(await volumeIds(ec2)).toEqual(volumesBefore);
  expect(await liveInstances(ec2)).toEqual(instancesBefore);
}

describe('ec2-backup refuses bad input before creating anything', () => {
  it('-h prints usage and exits 0', async () => {
    const result = await runCli('ec2-backup', ['-h'], { env: fx.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: ec2-backup \[-h\] \[-m method\] \[-v volume-id\] dir/);
  });

  it('a missing directory argument', () => expectRefused([], /usage: ec2-backup/));
  it('a directory that does not exist', () => expectRefused([join(fx.work, 'nope')], /nope: no such directory/));
  it('a file instead of a directory', () => expectRefused([join(dir, 'file')], /file: not a directory/));
  it('an unknown method', () => expectRefused(['-m', 'scp', dir], /-m: unknown method 'scp'/));
  it('an unknown option', () => expectRefused(['-x', dir], /unknown option '-x'/));
  it('a malformed volume id', () => expectRefused(['-v', 'vol-12345', dir], /-v: 'vol-12345' is not a volume id/));
  it('a volume that does not exist', () => expectRefused(['-v', 'vol-0123456789abcdef0', dir], /vol-0123456789abcdef0: no such volume/));

  it('a volume that is in use', async () => {
    const ec2 = fx.sandbox.ec2();
    const volume = await ec2.send(new CreateVolumeCommand({ Size: 4, AvailabilityZone: 'us-east-1a' }));
    const other = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1a' } }));
    await ec2.send(new AttachVolumeCommand({ VolumeId: volume.VolumeId!, InstanceId: other.Instances![0]!.InstanceId!, Device: '/dev/sdg' }));
    const result = await runCli('ec2-backup', ['-v', volume.VolumeId!, dir], { env: fx.env });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/volume is in-use .*not available/);
    // Only the instance this test launched itself is running.
    expect(await liveInstances(ec2)).toEqual([other.Instances![0]!.InstanceId!]);
  });

  it('a volume that is too small for 2 × the directory', async () => {
    const big = join(fx.work, 'big');
    await mkdir(big);
    const handle = await open(join(big, 'sparse'), 'w');
    await handle.truncate(1.5 * 1024 ** 3); // apparent 1.5 GiB → needs 3 GiB
    await handle.close();
    const volume = await fx.sandbox.ec2().send(new CreateVolumeCommand({ Size: 2, AvailabilityZone: 'us-east-1b' }));
    await expectRefused(['-v', volume.VolumeId!, big], /volume is 2 GiB; the directory needs at least 3 GiB/);
  });

  it('an unknown flag in EC2_BACKUP_FLAGS_AWS', () =>
    expectRefused([dir], /EC2_BACKUP_FLAGS_AWS: unknown or unsupported flag --user-data/, { EC2_BACKUP_FLAGS_AWS: '--instance-type t3.small --user-data x' }));

  it('a placement that conflicts with the volume\'s zone', async () => {
    const volume = await fx.sandbox.ec2().send(new CreateVolumeCommand({ Size: 4, AvailabilityZone: 'us-east-1c' }));
    await expectRefused(['-v', volume.VolumeId!, dir], /conflicts with vol-.* which is in us-east-1c/, {
      EC2_BACKUP_FLAGS_AWS: '--placement AvailabilityZone=us-east-1a',
    });
  });

  it('an unknown flag in EC2_BACKUP_FLAGS_SSH', () => expectRefused([dir], /EC2_BACKUP_FLAGS_SSH: .*-Z/, { EC2_BACKUP_FLAGS_SSH: `${fx.sandbox.env.EC2_BACKUP_FLAGS_SSH} -Z` }));

  it('an unreadable key file', () =>
    expectRefused([dir], /cannot read identity file .*missing-key: no such file/, { EC2_BACKUP_FLAGS_SSH: `-i ${join(fx.work, 'missing-key')} -o HostName=127.0.0.1` }));

  it('no AWS credentials', () =>
    expectRefused([dir], /no AWS credentials found/, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_EC2_METADATA_DISABLED: 'true' }));

  it('no AWS region', () => expectRefused([dir], /no AWS region/, { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined }));
});
