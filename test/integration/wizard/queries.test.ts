/**
 * The core's read-only queries the wizard shows, against the sandbox (moto, the job-service fakes) and real files:
 * volumes with their whole Name tags, HeadBucket reach, the jobs of a service, AWS profiles, lsblk, archive plans.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CreateVolumeCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAwsProfiles } from '../../../src/aws/profiles.js';
import { readArchiveOutline } from '../../../src/core/archive/outline.js';
import { parseLsblk } from '../../../src/core/export/devices.js';
import { readManifest } from '../../../src/core/export/manifest.js';
import { listJobsOf, openJobService } from '../../../src/core/export/job-list.js';
import { checkVerifySource } from '../../../src/core/verify/source-check.js';
import { defaultServices } from '../../../src/wizard/services.js';
import { repoRoot } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

const run = promisify(execFile);
const fixture = useSandbox('wizard-queries', { jobServices: true });
const saved = { ...process.env };
beforeAll(() => {
  // The SDK reads endpoints and keys from the environment, as it does when the wizard runs.
  for (const [key, value] of Object.entries(fixture.env)) if (value !== undefined) process.env[key] = value;
});
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

describe('through the wizard services, against the sandbox', () => {
  it('lists volumes with their whole Name tags', async () => {
    const name = 'nightly backup of the photo library on host1 (keep until March)';
    const made = await fixture.sandbox.ec2().send(
      new CreateVolumeCommand({ AvailabilityZone: `${fixture.sandbox.region}a`, Size: 2, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: name }] }] }),
    );
    const volumes = await defaultServices().listVolumes({ region: fixture.sandbox.region });
    expect(volumes.find((v) => v.id === made.VolumeId)).toMatchObject({ name, sizeGiB: 2, state: 'available' });
  });

  it('checks that a bucket is there and reachable (HeadBucket), else says why in one line', async () => {
    const services = defaultServices();
    expect(await services.checkBucket!('s3://offsite-sandbox/some/prefix')).toBeUndefined();
    expect(await services.checkBucket!('s3://no-such-bucket-here/x')).toBe('s3://no-such-bucket-here: no such bucket');
  });

  it('lists the jobs of a service, newest first', async () => {
    const service = await openJobService('importexport', {});
    try {
      await service.createJob(await readManifest(join(repoRoot, 'fixtures', 'manifests', 'export.yml')), AbortSignal.timeout(30_000));
    } finally {
      service.close();
    }
    const jobs = await listJobsOf('importexport', {});
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs[0]!.jobId).toMatch(/\S/);
    expect(await defaultServices().listExportJobs!('importexport')).toEqual(jobs);
  });
});

describe('local queries', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'offsite-wizard-queries-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('reads profile names and regions from both AWS files, never a key', async () => {
    const config = join(work, 'config');
    const credentials = join(work, 'credentials');
    await writeFile(config, '[default]\nregion = us-east-1\n\n[profile backup]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 4\n');
    await writeFile(credentials, '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n\n[keys-only]\naws_access_key_id = AKIAOTHER\n');
    const profiles = await listAwsProfiles({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials });
    expect(profiles).toEqual([{ name: 'backup', region: 'eu-west-1' }, { name: 'default', region: 'us-east-1' }, { name: 'keys-only' }]);
    expect(JSON.stringify(profiles)).not.toMatch(/AKIA|secret/);
    expect(await listAwsProfiles({ AWS_CONFIG_FILE: join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'none') })).toEqual([]);
  });

  it('reads lsblk: disks and loop devices only, sizes as numbers', () => {
    const json = JSON.stringify({
      blockdevices: [
        { path: '/dev/sda', model: 'Samsung SSD ', size: 500107862016, serial: 'S1 ', type: 'disk' },
        { path: '/dev/sr0', model: 'DVD', size: 1073741312, serial: null, type: 'rom' },
        { path: '/dev/loop3', model: null, size: '67108864', serial: null, type: 'loop' },
      ],
    });
    expect(parseLsblk(json)).toEqual([
      { path: '/dev/sda', model: 'Samsung SSD', sizeBytes: 500107862016, serial: 'S1' },
      { path: '/dev/loop3', model: '', sizeBytes: 67108864, serial: '' },
    ]);
  });

  it('outlines an archive profile; a bad one fails with its line', async () => {
    const outline = await readArchiveOutline(join(repoRoot, 'fixtures', 'profiles', 'plain-dir.ini'));
    expect(outline.steps[0]).toBe('read /var/lib/quiet-data as it is (no snapshot)');
    await expect(readArchiveOutline(join(repoRoot, 'fixtures', 'profiles', 'bad', 'unknown-key.ini'))).rejects.toThrow(/unknown-key\.ini:\d+: /);
  });

  it("outlines a Snowball manifest: every Snowball rule but the role's, which may still come from --role-arn", async () => {
    const services = defaultServices();
    const manifests = join(repoRoot, 'fixtures', 'manifests');
    expect(await services.outlineSnowball!(join(manifests, 'snowball.yml'))).toEqual({
      roleArn: 'arn:aws:iam::123456789012:role/snowball-export',
      kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      shippingOption: 'SECOND_DAY',
      address: { name: 'Jane Roe', street1: '123 Any Street', city: 'Anytown', stateOrProvince: 'NY', postalCode: '02134', country: 'US', phoneNumber: '+1 212 555 0100' },
      buckets: ['offsite-photos', 'offsite-docs'],
      warnings: [],
    });
    const roleless = join(work, 'roleless.yml');
    const text = (await readFile(join(manifests, 'snowball.yml'), 'utf8')).replace(/^snowball:[\s\S]*$/m, '').replace('serviceLevel: expeditedShipping', 'serviceLevel: standard\npinCode: "0042"');
    await writeFile(roleless, text);
    const outline = await services.outlineSnowball!(roleless);
    expect(outline).toMatchObject({ shippingOption: 'STANDARD', warnings: [expect.stringMatching(/roleless\.yml:\d+: pinCode is ignored/)] });
    expect(outline).not.toHaveProperty('roleArn');
    expect(await services.outlineSnowball!(join(manifests, 'export.yml'))).toEqual({ problem: expect.stringMatching(/export\.yml:16: operations\[0\]\.prefix: Snowball selects keys/) });
  });

  // Root reads everything: the check runs as nobody (setpriv), from the built code, as the directory screen calls it.
  it('refuses a directory its user cannot read, with the reason', async () => {
    const closed = join(work, 'closed');
    await mkdir(closed, { mode: 0o700 });
    await chmod(work, 0o755);
    const module = pathToFileURL(join(repoRoot, 'dist/src/wizard/services.js')).href;
    const script = `import(${JSON.stringify(module)}).then((m) => m.defaultServices().checkDir(process.argv[1])).then((r) => process.stdout.write(JSON.stringify(r ?? null)))`;
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script];
    const { stdout } = process.getuid?.() === 0 ? await run('setpriv', [...asNobody, closed]) : { stdout: JSON.stringify(await defaultServices().checkDir(closed)) };
    expect(JSON.parse(stdout)).toBe(`${closed}: directory is not readable`);
  });

  it('tells what verify can read: a directory or an image, not a missing path nor a character device', async () => {
    expect(await checkVerifySource(work)).toBe('directory');
    await writeFile(join(work, 'disk.img'), Buffer.alloc(1024));
    expect(await checkVerifySource(join(work, 'disk.img'))).toBe('image');
    await expect(checkVerifySource(join(work, 'missing'))).rejects.toThrow(/missing: no such directory, device or image/);
    await expect(checkVerifySource('/dev/null')).rejects.toThrow(/not a directory, block device or disk image/);
  });
});
