import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonEvents, manifests, offsite, s3export, SECRET, TRUECRYPT_PASSWORD } from './helpers.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

const fx = useSandbox('export-importexport', { jobServicesOnly: { importExport: { pageLimit: 3 } } });
const manifest = join(manifests, 'export.yml');

/** No secret in anything a run printed. */
function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(TRUECRYPT_PASSWORD);
    expect(text).not.toContain(SECRET);
  }
}

describe('Import/Export jobs through the seed-compatible s3export', () => {
  it('create-job --dry-run validates with the service (ValidateOnly) and creates nothing', async () => {
    const jobsBefore = fx.sandbox.importExport.jobs.size;
    const run = await s3export(['create-job', manifest, '--dry-run'], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`Manifest is valid: ${manifest} (dry run: no job created)\n`);
    // The retirement notice, once, as a warning line.
    expect(run.stderr.split('\n').filter((l) => /warning: AWS Import\/Export Disk is retired/.test(l))).toHaveLength(1);
    const call = fx.sandbox.importExport.calls.at(-1)!;
    expect(call).toMatchObject({ operation: 'CreateJob', url: '/?Operation=CreateJob' });
    expect(call.params.ValidateOnly).toBe('true');
    expect(call.params.JobType).toBe('Export');
    expect(fx.sandbox.importExport.jobs.size).toBe(jobsBefore);
    expectNoSecrets(run.stdout, run.stderr);
  });

  it('the manifest goes to the service verbatim (its secrets only there)', async () => {
    const { readFile } = await import('node:fs/promises');
    expect(fx.sandbox.importExport.calls.at(-1)!.params.Manifest).toBe(await readFile(manifest, 'utf8'));
  });

  it('list-jobs follows every page (Marker = last JobId), newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(fx.sandbox.importExport.addJob({ created: new Date(Date.UTC(2014, 10, 1 + i)), cancelled: i === 2 }));
    const before = fx.sandbox.importExport.calls.length;
    const run = await s3export(['list-jobs'], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    const listed = run.stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(listed.map((cols) => cols[0])).toEqual([...ids].reverse());
    expect(listed.find((cols) => cols[0] === ids[2])![3]).toBe('cancelled');
    const pages = fx.sandbox.importExport.calls.slice(before).filter((c) => c.operation === 'ListJobs');
    expect(pages).toHaveLength(3); // 3 + 3 + 1 with the fake's page limit of 3
    expect(pages[1]!.params.Marker).toBe(ids[4]);
    expect(pages[2]!.params.Marker).toBe(ids[1]);
    expect(run.stderr).toMatch(/7 jobs \(3 pages\)/);
  });

  it('get-status --watch shows each state until the device is returned', async () => {
    const created = await s3export(['create-job', manifest, '--dry-run'], { env: fx.env });
    expect(created.code, created.stderr).toBe(0);
    const jobId = fx.sandbox.importExport.addJob();
    const run = await s3export(['get-status', jobId, '--watch', '--interval', '0.05'], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    const states = run.stderr.split('\n').filter((l) => l.startsWith('now  '));
    expect(states).toEqual([
      `now  ${jobId}: Pending (NotReceived) - The specified job has not started.`,
      `now  ${jobId}: Pending (AtAWS) - Your device is at AWS.`,
      `now  ${jobId}: InProgress (AtAWS) - The data is being copied to your device.`,
      `now  ${jobId}: Success (AtAWS) - The data was copied to your device.`,
      `now  ${jobId}: Success (Returned) - Your device has been returned.`,
    ]);
    expect(run.stderr).toMatch(/done outcome: success/);
    expect(run.stdout).toContain(`JobId: ${jobId}\n`);
    expect(run.stdout).toContain('State: Success (final: success)\n');
    expect(run.stdout).toContain('trackingNumber: 1Z999AA10123456784\n');
    expect(run.stdout).toContain(`log: s3://seeded-log-bucket/export-log-${jobId}\n`);
  });

  it('Ctrl-C during --watch stops it at once: exit 130, a one-line reason', async () => {
    const jobId = fx.sandbox.importExport.addJob();
    const started = Date.now();
    const run = await s3export(['get-status', jobId, '--watch', '--interval', '300'], {
      env: fx.env,
      onStderrLine: (line, child) => {
        if (line.startsWith('now  ')) child.kill('SIGINT');
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr.trim().split('\n').at(-1)).toBe('s3export: interrupted');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('cancel-job of a job AWS has already received: a clear one-line refusal, exit 1', async () => {
    const jobId = fx.sandbox.importExport.addJob({ step: 2 }); // last seen AtAWS
    const run = await s3export(['cancel-job', jobId], { env: fx.env });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `s3export: cancelling job ${jobId}: the job can no longer be cancelled: AWS has received the device or started work on it (UnableToCancelJobIdException)`,
    );
    expect(fx.sandbox.importExport.jobs.get(jobId)!.cancelled).toBe(false);
  });

  it('cancel-job of a waiting job cancels it, as the original said', async () => {
    const jobId = fx.sandbox.importExport.addJob();
    const run = await s3export(['cancel-job', jobId.toLowerCase()], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Job successfully cancelled\n');
    expect(fx.sandbox.importExport.jobs.get(jobId)!.cancelled).toBe(true);
    const again = await s3export(['cancel-job', jobId], { env: fx.env });
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toMatch(/the job was cancelled and is no longer valid \(CanceledJobIdException\)/);
  });

  it('get-shipping-label sends the manifest return address and prints the label URL', async () => {
    const jobId = fx.sandbox.importExport.addJob();
    const run = await s3export(['get-shipping-label', manifest, jobId], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`https://importexport.example/labels/${jobId}.pdf\n`);
    expect(run.stderr).toMatch(/Print the label twice/);
    const call = fx.sandbox.importExport.calls.at(-1)!;
    expect(call.params).toMatchObject({ 'jobIds.member.1': jobId, name: 'Jane Roe', street1: '123 Any Street', postalCode: '02134', country: 'USA' });
  });

  it('an unknown job and a malformed job id: one line each, exit 2', async () => {
    const unknown = await s3export(['get-status', 'ZZZZZ'], { env: fx.env });
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/getting the status of job ZZZZZ: no such job in this account \(InvalidJobIdException\)/);
    const calls = fx.sandbox.importExport.calls.length;
    const malformed = await s3export(['get-status', 'not a job'], { env: fx.env });
    expect(malformed.code, malformed.stderr).toBe(2);
    expect(malformed.stderr).toBe("s3export: <job-id>: 'not a job' is not an Import/Export job id (five letters and digits, e.g. ABC12)\n");
    expect(fx.sandbox.importExport.calls.length).toBe(calls); // found locally, nothing sent
  });

  it('verify-backup is the verify mode: without a bucket it is one line and exit 2', async () => {
    const run = await s3export(['verify-backup', '/dev/sdz', '--target-directory=/s3-export-bucket/'], { env: fx.env });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/bucket|sdz/i);
  });
});

describe('offsite export with --json', () => {
  it('get-status --json: schema-valid events, the result, the manifest echo redacted', async () => {
    const created = fx.sandbox.importExport.addJob();
    // A job whose stored manifest carries the TrueCrypt password, as the service echoes it in CurrentManifest.
    const { readFile } = await import('node:fs/promises');
    fx.sandbox.importExport.jobs.get(created)!.manifest = await readFile(manifest, 'utf8');
    const run = await offsite(['export', 'get-status', created, '--json'], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const events = jsonEvents(run.stdout);
    expect(events.map((e) => e.type)).toEqual(['run-start', 'warning', 'phase-start', 'phase-end', 'result']);
    const result = events.at(-1) as Extract<(typeof events)[number], { type: 'result' }>;
    expect(result.result).toMatchObject({ jobId: created, state: 'Pending', location: 'NotReceived', final: false });
    expect(String(result.result.currentManifest)).toMatch(/trueCryptPassword: "?\*{8}"?/);
    expectNoSecrets(run.stdout);
  });

  it('--service goes before or after the command; --quiet leaves the warning and the result', async () => {
    const jobId = fx.sandbox.importExport.addJob();
    const run = await offsite(['export', '--quiet', 'get-status', jobId, '--service', 'importexport'], { env: fx.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^offsite: warning: AWS Import\/Export Disk is retired/)]);
    expect(run.stdout).toMatch(/^JobId: /);
    const silent = await s3export(['--quiet', '--quiet-warnings', 'get-status', jobId], { env: fx.env });
    expect(silent.stderr).toBe('');
  });

  it('a wrong secret key: one line naming the cause, exit 2, the secret nowhere', async () => {
    const run = await offsite(['export', 'list-jobs'], { env: { ...fx.env, AWS_SECRET_ACCESS_KEY: 'definitely-the-wrong-secret' } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim().split('\n').at(-1)).toBe('offsite: listing jobs: the request signature was rejected: check the secret access key (SignatureDoesNotMatch)');
    expect(run.stderr).not.toContain('definitely-the-wrong-secret');
  });
});
