import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { buildExportPlan, snowballSettings } from './export.js';

const manifests = new URL('../../../fixtures/manifests/', import.meta.url).pathname;
const exportManifest = join(manifests, 'export.yml');
const snowballManifest = join(manifests, 'snowball.yml');
const SNOWBALL_JOB = 'JID123e4567-e89b-12d3-a456-426655440000';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'offsite-export-plan-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('export plans from what an operator types', () => {
  it('create-job: an Import/Export job without a device is refused unless it is a dry run', async () => {
    const secrets: string[] = [];
    await expect(buildExportPlan({ command: 'create-job', manifestPath: exportManifest }, {}, secrets)).rejects.toThrow(/create-job needs <device-path>/);
    // The manifest was read before the refusal: its password is already among what the report masks.
    expect(secrets).toContain('correct horse battery staple 42');
    const dry = await buildExportPlan({ command: 'create-job', manifestPath: exportManifest }, { dryRun: true }, []);
    expect(dry.command === 'create-job' && dry.plan).toMatchObject({ service: 'importexport', dryRun: true, confirmed: false, skipFormat: false });
  });

  it('create-job: a device given for Snowball is refused, naming it', async () => {
    await expect(buildExportPlan({ command: 'create-job', manifestPath: snowballManifest, devicePath: '/dev/sdb' }, { service: 'snowball' }, [])).rejects.toThrow(
      /^\/dev\/sdb: Snowball jobs use an appliance/,
    );
  });

  it('create-job: --yes is the confirmation the core sees; the device is kept as typed', async () => {
    const plan = await buildExportPlan({ command: 'create-job', manifestPath: exportManifest, devicePath: '/dev/sdz' }, { yes: true, skipFormat: true }, []);
    expect(plan.command === 'create-job' && plan.plan).toMatchObject({ device: '/dev/sdz', confirmed: true, skipFormat: true });
  });

  it('create-job: a manifest that does not exist is a usage error', async () => {
    await expect(buildExportPlan({ command: 'create-job', manifestPath: join(scratch, 'nope.yml') }, { dryRun: true }, [])).rejects.toBeInstanceOf(UsageError);
  });

  it('create-job: a manifest that is not YAML is a usage error', async () => {
    const file = join(scratch, 'broken.yml');
    await writeFile(file, 'manifestVersion: [2.0\n');
    await expect(buildExportPlan({ command: 'create-job', manifestPath: file }, { dryRun: true }, [])).rejects.toBeInstanceOf(UsageError);
  });

  it('a job id typed for the wrong service is refused before any request', async () => {
    await expect(buildExportPlan({ command: 'get-status', jobId: SNOWBALL_JOB }, {}, [])).rejects.toBeInstanceOf(UsageError);
    await expect(buildExportPlan({ command: 'cancel-job', jobId: 'ABC12' }, { service: 'snowball' }, [])).rejects.toBeInstanceOf(UsageError);
    await expect(buildExportPlan({ command: 'get-status', jobId: '' }, {}, [])).rejects.toBeInstanceOf(UsageError);
  });

  it('get-status: ids are upper-cased, seconds become milliseconds, the poll interval defaults to a minute', async () => {
    const plan = await buildExportPlan({ command: 'get-status', jobId: ' abc12 ' }, { watch: true, timeout: 90 }, []);
    expect(plan.command === 'get-status' && plan.plan).toEqual({ service: 'importexport', jobId: 'ABC12', watch: true, intervalMs: 60_000, timeoutMs: 90_000 });
  });

  it('get-unlock-code and get-job-manifest are Snowball commands', async () => {
    await expect(buildExportPlan({ command: 'get-unlock-code', jobId: 'ABC12' }, { output: join(scratch, 'code') }, [])).rejects.toThrow(
      'get-unlock-code is a Snowball command: add --service snowball',
    );
    const plan = await buildExportPlan({ command: 'get-job-manifest', jobId: SNOWBALL_JOB }, { service: 'snowball', output: join(scratch, 'm.bin') }, []);
    expect(plan).toMatchObject({ command: 'get-job-manifest', what: 'manifest', jobId: SNOWBALL_JOB });
  });

  it('get-shipping-label reads the manifest (and its secrets) before checking the job id', async () => {
    const secrets: string[] = [];
    await expect(buildExportPlan({ command: 'get-shipping-label', manifestPath: exportManifest, jobId: 'not a job' }, {}, secrets)).rejects.toBeInstanceOf(UsageError);
    expect(secrets.length).toBeGreaterThan(0);
  });

  it('Snowball flags follow the manifest schema: a role that is not an IAM role ARN is refused, naming the flag', () => {
    expect(() => snowballSettings({ roleArn: 'my-role' })).toThrow(/^--role-arn: /);
    expect(() => snowballSettings({ kmsKeyArn: 'alias/backup' })).toThrow(/^--kms-key-arn: /);
    expect(snowballSettings({ shippingOption: 'EXPRESS' })).toEqual({ shippingOption: 'EXPRESS' });
  });
});
