import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPORT_TOTAL_BYTES, manifestBytesFor, unlockCodeFor } from '../../sandbox/fake-snowball.js';
import { jsonEvents, manifests, offsite } from './helpers.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

const fx = useSandbox('export-snowball', { jobServicesOnly: { snowball: { pageLimit: 2 } } });
const manifest = join(manifests, 'snowball.yml');
const snow = (args: string[], env?: Record<string, string | undefined>) => offsite(['export', '--service', 'snowball', ...args], { env: env ?? fx.env });

describe('Snowball export jobs (JSON 1.1 + SigV4 through @aws-sdk/client-snowball)', () => {
  it('create-job --dry-run creates nothing: it checks the account limit and shows the translated request', async () => {
    const run = await snow(['create-job', manifest, '--dry-run', '--json']);
    expect(run.code, run.stdout).toBe(0);
    expect(fx.sandbox.snowball.calls.map((c) => c.operation)).toEqual(['GetSnowballUsage']);
    const events = jsonEvents(run.stdout);
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      expect.stringMatching(/^AWS Snowball Edge is closed to new customers/),
    ]);
    const result = events.at(-1) as Extract<(typeof events)[number], { type: 'result' }>;
    expect(result.result).toMatchObject({ dryRun: true, request: { JobType: 'EXPORT', ShippingOption: 'SECOND_DAY' } });
  });

  it('create-job translates the manifest into CreateAddress + CreateJob', async () => {
    const run = await snow(['create-job', manifest]);
    expect(run.code, run.stderr).toBe(0);
    const jobId = /^Job created, id: (JID[0-9a-f-]+)$/m.exec(run.stdout)?.[1];
    expect(jobId).toBeDefined();
    const address = fx.sandbox.snowball.calls.find((c) => c.operation === 'CreateAddress')!.input;
    expect(address).toEqual({
      Address: { Name: 'Jane Roe', Street1: '123 Any Street', City: 'Anytown', StateOrProvince: 'NY', Country: 'US', PostalCode: '02134', PhoneNumber: '+1 212 555 0100' },
    });
    const job = fx.sandbox.snowball.calls.find((c) => c.operation === 'CreateJob')!.input;
    expect(job).toMatchObject({
      JobType: 'EXPORT',
      AddressId: expect.stringMatching(/^ADID/),
      RoleARN: 'arn:aws:iam::123456789012:role/snowball-export',
      KmsKeyARN: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      ShippingOption: 'SECOND_DAY', // serviceLevel: expeditedShipping
      SnowballType: 'EDGE',
      Description: 'offsite fixture export',
      Resources: {
        S3Resources: [
          { BucketArn: 'arn:aws:s3:::offsite-photos' },
          { BucketArn: 'arn:aws:s3:::offsite-docs', KeyRange: { BeginMarker: 'reports/2025-12-31', EndMarker: 'reports/2026-06-30' } },
        ],
      },
    });
    expect(fx.sandbox.snowball.jobs.has(jobId!)).toBe(true);
    expect(run.stderr).toMatch(/get-job-manifest \/ get-unlock-code once AWS has shipped the appliance/);
  });

  it('refuses a device (AWS ships its own appliance) and a manifest without a role, before any request', async () => {
    const calls = fx.sandbox.snowball.calls.length;
    const device = await snow(['create-job', manifest, '/dev/sdz']);
    expect(device.code, device.stderr).toBe(2);
    expect(device.stderr).toBe('offsite: /dev/sdz: Snowball jobs use an appliance AWS ships to you; leave out <device-path>\n');
    const classic = join(manifests, 'export.yml');
    const noRole = await snow(['create-job', classic]);
    expect(noRole.code, noRole.stderr).toBe(2);
    expect(noRole.stderr).toBe(`offsite: ${classic}:1: snowball.roleArn: is required for Snowball export jobs, or pass --role-arn\n`);
    const prefix = await snow(['create-job', classic, '--role-arn', 'arn:aws:iam::123456789012:role/x']);
    expect(prefix.code, prefix.stderr).toBe(2);
    expect(prefix.stderr).toBe(`offsite: ${classic}:16: operations[0].prefix: Snowball selects keys by beginMarker/endMarker only\n`);
    const badArn = await snow(['create-job', manifest, '--role-arn', 'role/x']);
    expect(badArn.stderr).toBe('offsite: --role-arn: is not an IAM role ARN\n');
    expect(fx.sandbox.snowball.calls.length).toBe(calls);
  });

  it('get-status --watch walks the states and draws DataTransferProgress as a bar', async () => {
    const jobId = fx.sandbox.snowball.addJob();
    const run = await snow(['get-status', jobId, '--watch', '--interval', '0.05']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith('now  ')).map((l) => l.slice(`now  ${jobId}: `.length))).toEqual([
      'New',
      'PreparingAppliance',
      'InProgress',
      'PreparingShipment',
      'InTransitToCustomer',
      'WithCustomer',
      'InTransitToAWS',
      'WithAWS',
      'Complete',
    ]);
    const bars = lines.filter((l) => l.includes('data transfer ['));
    expect(bars.map((l) => /\] (\d+)%/.exec(l)?.[1])).toEqual(['0', '40', '85', '100']);
    expect(bars[1]).toContain('[##########..............] 40% 2.0 GiB / 5.0 GiB');
    expect(run.stdout).toContain('State: Complete (final: success)\n');
    expect(run.stdout).toContain('Progress: [########################] 100% 5.0 GiB / 5.0 GiB, 12000 / 12000 objects\n');
  });

  it('get-status --watch --json: progress events carry bytes and total', async () => {
    const jobId = fx.sandbox.snowball.addJob({ step: 2 });
    const run = await snow(['get-status', jobId, '--watch', '--interval', '0.05', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const progress = jsonEvents(run.stdout).filter((e) => e.type === 'progress');
    expect(progress.map((e) => (e as { bytes: number }).bytes)).toEqual([0, 0.4, 0.85, 1].map((f) => Math.round(EXPORT_TOTAL_BYTES * f)));
    expect(progress.every((e) => (e as { total?: number }).total === EXPORT_TOTAL_BYTES)).toBe(true);
  });

  it('list-jobs follows NextToken through every page', async () => {
    const before = fx.sandbox.snowball.calls.length;
    const run = await snow(['list-jobs', '--page-size', '10']);
    expect(run.code, run.stderr).toBe(0);
    const ids = run.stdout.trim().split('\n').map((line) => line.split('\t')[0]);
    expect(new Set(ids)).toEqual(new Set(fx.sandbox.snowball.jobs.keys()));
    const pages = fx.sandbox.snowball.calls.slice(before).filter((c) => c.operation === 'ListJobs');
    expect(pages).toHaveLength(Math.ceil(fx.sandbox.snowball.jobs.size / 2));
    expect(pages[0]!.input).toEqual({ MaxResults: 10 });
    expect(pages[1]!.input.NextToken).toEqual(expect.any(String));
  });

  it('cancel-job: possible while New; afterwards a clear message naming the state, exit 1', async () => {
    const fresh = fx.sandbox.snowball.addJob();
    const ok = await snow(['cancel-job', fresh]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('Job successfully cancelled\n');
    const loading = fx.sandbox.snowball.addJob({ step: 3 });
    const refused = await snow(['cancel-job', loading]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      `offsite: cancelling job ${loading}: it can no longer be cancelled: it is InProgress (Snowball jobs can be cancelled only before PreparingAppliance) (InvalidJobStateException)`,
    );
  });

  it('the job manifest and unlock code go to new 0600 files, never to the terminal', async () => {
    const jobId = fx.sandbox.snowball.addJob({ step: 8 });
    const manifestFile = join(fx.sandbox.dir, 'job.manifest');
    const codeFile = join(fx.sandbox.dir, 'unlock.code');
    const m = await snow(['get-job-manifest', jobId, '--output', manifestFile]);
    expect(m.code, m.stderr).toBe(0);
    expect(await readFile(manifestFile)).toEqual(manifestBytesFor(jobId));
    const c = await snow(['get-unlock-code', jobId, '--output', codeFile, '--json']);
    expect(c.code, c.stdout).toBe(0);
    expect(await readFile(codeFile, 'utf8')).toBe(`${unlockCodeFor(jobId)}\n`);
    for (const file of [manifestFile, codeFile]) expect((await stat(file)).mode & 0o777).toBe(0o600);
    for (const output of [m.stdout, m.stderr, c.stdout, c.stderr]) expect(output).not.toContain(unlockCodeFor(jobId));
    // An existing file is refused before anything is asked of the service.
    await writeFile(join(fx.sandbox.dir, 'taken'), 'x');
    const calls = fx.sandbox.snowball.calls.length;
    const taken = await snow(['get-unlock-code', jobId, '--output', join(fx.sandbox.dir, 'taken')]);
    expect(taken.code, taken.stderr).toBe(2);
    expect(taken.stderr).toBe(`offsite: ${join(fx.sandbox.dir, 'taken')} already exists; not overwriting it\n`);
    expect(fx.sandbox.snowball.calls.length).toBe(calls);
    const classic = await offsite(['export', 'get-unlock-code', jobId, '--output', codeFile], { env: fx.env });
    expect(classic.stderr).toBe('offsite: get-unlock-code is a Snowball command: add --service snowball\n');
  });

  it('get-shipping-label returns the return label URI', async () => {
    const jobId = fx.sandbox.snowball.addJob({ step: 9 });
    const run = await snow(['get-shipping-label', manifest, jobId]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${fx.sandbox.snowball.endpoint}/labels/${jobId}.pdf\n`);
  });

  it('a wrong secret key is refused by the SigV4 check: one line, exit 2', async () => {
    const run = await snow(['list-jobs'], { ...fx.env, AWS_SECRET_ACCESS_KEY: 'wrong-secret-wrong-secret' });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^offsite: listing jobs: /);
    expect(run.stderr).not.toContain('wrong-secret-wrong-secret');
  });
});
