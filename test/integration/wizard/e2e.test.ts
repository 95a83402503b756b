import { execFile } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli.js';
import { liveInstances } from '../../helpers/moto-state.js';
import { describeTree, treeDifferences } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { waitFor } from '../../helpers/wait.js';
import { describeRsyncVolume } from '../../helpers/volumes.js';
import { shellQuote } from '../../../src/ssh/quote.js';
import { openTerminal, type Terminal } from '../../helpers/terminal.js';

const run = promisify(execFile);
const session = `offsite-e2e-${process.pid}`;

// The job-service fakes too: the wizard creates a Snowball job against them.
const fixture = useSandbox('e2e', { jobServices: true });
let source: string;

beforeAll(async () => {
  await run('tmux', ['-V']); // a missing tmux fails here, loudly
  source = join(fixture.work, 'my data');
  await cp(join(repoRoot, 'fixtures', 'sample-tree'), source, { recursive: true, verbatimSymlinks: true });
});

const terminals: Terminal[] = [];

afterAll(async () => {
  for (const terminal of terminals) await terminal.close();
});

/** `offsite` with no arguments in a fresh tmux terminal on the sandbox; its exit status lands in `exitFile`. */
async function openWizard(name: string) {
  const { work } = fixture;
  const env = { ...fixture.env };
  delete env.CI; // a person at a terminal, not CI
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  env.TERM = 'xterm-256color';
  const exitFile = join(work, `exit-code-${name}`);
  const script = join(work, `run-${name}.sh`);
  const exports = Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `export ${k}=${shellQuote(v!)}`)
    .join('\n');
  await writeFile(script, `${exports}\ncd ${shellQuote(work)}\n${shellQuote(join(repoRoot, 'bin', 'offsite.js'))}\necho $? > ${shellQuote(exitFile)}\n`);
  const terminal = await openTerminal(`${session}-${name}`, script);
  terminals.push(terminal);
  return { env, exitFile, terminal };
}

/** The environment's account (no --profile, no --region): the command line stays as a script would write it. */
async function environmentAccount({ waitFor, keys }: Terminal): Promise<void> {
  await waitFor(/Which AWS profile\?[\s\S]*› The default credentials/);
  await keys('Enter');
  await waitFor(/Which region\?/);
  await keys('Enter');
}

describe('the wizard in a real terminal', () => {
  it('walks the rsync backup through to a volume that holds the directory; its command line does the same', async () => {
    const { env, exitFile, terminal } = await openWizard('rsync');
    const { waitFor, keys, exitCodeFrom } = terminal;

    await waitFor(/What do you want to do\?/);
    await keys('Down');
    await waitFor(/› Back up a directory to an EBS volume — rsync/);
    await keys('Enter');
    await environmentAccount(terminal);
    await waitFor(/Which directory\?/);
    await keys('-l', 'my da');
    await keys('Tab');
    await waitFor(/› my data\//);
    await keys('Enter');
    await waitFor(/Which volume\?[\s\S]*› A new 1 GiB gp3 volume/);
    await keys('Enter');
    const review = await waitFor(/The same backup from a script:\s*\n\s*(offsite ebs .*)/);
    const commandLine = /The same backup from a script:\s*\n\s*(offsite ebs .*)/.exec(review)![1]!.trim();
    expect(commandLine).toBe(`offsite ebs ${shellQuote(source)} --method rsync --size 1 --non-interactive`);
    await keys('Enter');

    // The live task list, then the volume id on stdout.
    const done = await waitFor(/backup of .* is on (vol-[0-9a-f]{17})[\s\S]*\n(vol-[0-9a-f]{17})\s*\n/, 90_000);
    expect(done).toMatch(/✔ .*rsync/);
    const volumeId = /\n(vol-[0-9a-f]{17})\s*\n/.exec(done)![1]!;
    expect(await exitCodeFrom(exitFile)).toBe('0');
    expect(await liveInstances(fixture.sandbox.ec2())).toEqual([]);
    expect(treeDifferences(await describeTree(source), await describeRsyncVolume(fixture.sandbox, volumeId, fixture.work))).toEqual([]);

    // The review screen's command line, run by a script (no terminal), gives the same result.
    const scripted = await run('sh', ['-c', commandLine.replace(/^offsite /, `${shellQuote(join(repoRoot, 'bin', 'offsite.js'))} `)], {
      env: env as NodeJS.ProcessEnv,
    });
    const scriptedVolume = scripted.stdout.trim();
    expect(scriptedVolume).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(scripted.stderr).not.toMatch(/\u001b\[/);
    expect(treeDifferences(await describeTree(source), await describeRsyncVolume(fixture.sandbox, scriptedVolume, fixture.work))).toEqual([]);
  });

  it('refuses an S3 bucket that is not there on its screen (HeadBucket), then stores into one that is', async () => {
    const { sandbox } = fixture;
    const s3 = new S3Client({ endpoint: sandbox.env.AWS_ENDPOINT_URL, region: sandbox.region, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'wizard-e2e' }));
    s3.destroy();
    const { exitFile, terminal } = await openWizard('s3');
    const { waitFor, keys, exitCodeFrom } = terminal;
    await waitFor(/What do you want to do\?/);
    await keys('Down', 'Down');
    await waitFor(/› Store a directory in S3/);
    await keys('Enter');
    await environmentAccount(terminal);
    await waitFor(/Which directory\?/);
    await keys('-l', 'my data');
    await keys('Enter');
    await waitFor(/Where in S3\?/);
    await keys('-l', 'not-a-bucket-here/x');
    await keys('Enter');
    await waitFor(/s3:\/\/not-a-bucket-here: no such bucket/);
    await keys(...Array<string>(19).fill('BSpace'));
    await waitFor(/Where in S3\?\n\s*› s3:\/\/bucket\/prefix/); // emptied: the placeholder shows again
    await keys('-l', 's3://wizard-e2e/host1');
    await keys('Enter');
    const review = await waitFor(/The same store from a script:\s*\n\s*(offsite s3 .*)/);
    expect(/The same store from a script:\s*\n\s*(offsite s3 .*)/.exec(review)![1]!.trim()).toBe(`offsite s3 ${shellQuote(source)} s3://wizard-e2e/host1 --non-interactive`);
    await keys('Enter');
    expect(await exitCodeFrom(exitFile)).toBe('0');
  });

  it('creates a Snowball export job: the dry run first, then the job, each the command its review showed', async () => {
    const snowball = fixture.sandbox.jobs!.snowball;
    const manifest = join(repoRoot, 'fixtures', 'manifests', 'snowball.yml');
    const argv = (dryRun: boolean) => `offsite export create-job ${manifest} --service snowball${dryRun ? ' --dry-run' : ''} --non-interactive`;

    /** Mode → ship a disk → create → Snowball → account → manifest → role, key, speed as the manifest says → review. */
    async function toReview(terminal: Terminal): Promise<string> {
      const { waitFor, keys } = terminal;
      await waitFor(/What do you want to do\?/);
      await moveTo(terminal, /› Ship a disk/);
      await keys('Enter');
      await waitFor(/A new job or one you have\?[\s\S]*› Create a job/);
      await keys('Enter');
      await waitFor(/Which service\?/);
      await moveTo(terminal, /› AWS Snowball/);
      await keys('Enter');
      await environmentAccount(terminal);
      await waitFor(/Which manifest\? \(Snowball\)/);
      await keys('-l', manifest);
      await keys('Enter');
      await waitFor(/Which IAM role may AWS use[\s\S]*Enter keeps the manifest's/);
      await keys('Enter');
      await waitFor(/Which KMS key encrypts the job\?/);
      await keys('Enter');
      await waitFor(/AWS ships the appliance to[\s\S]*Jane Roe[\s\S]*› SECOND_DAY/);
      await keys('Enter');
      return waitFor(/› Validate first[\s\S]*Enter runs the chosen command/);
    }

    const first = await openWizard('snowball-dry-run');
    const review = await toReview(first.terminal);
    expect(review).toContain(argv(true));
    expect(review).toContain(argv(false));
    const callsBefore = snowball.calls.length;
    await first.terminal.keys('Enter');
    await first.terminal.waitFor(/Manifest is valid: .*snowball\.yml \(dry run: no job created\)/);
    expect(await first.terminal.exitCodeFrom(first.exitFile)).toBe('0');
    expect(snowball.calls.slice(callsBefore).map((c) => c.operation)).toEqual(['GetSnowballUsage']);

    const second = await openWizard('snowball-create');
    await toReview(second.terminal);
    await second.terminal.keys('Down');
    await second.terminal.waitFor(/› Create the job/);
    await second.terminal.keys('Enter');
    const done = await second.terminal.waitFor(/Job created, id: (JID[0-9a-f-]+)/);
    expect(done).toMatch(/✔ /); // the live task list drew its steps
    const jobId = /Job created, id: (JID[0-9a-f-]+)/.exec(done)![1]!;
    expect(await second.terminal.exitCodeFrom(second.exitFile)).toBe('0');
    expect(snowball.jobs.has(jobId)).toBe(true);
    expect(snowball.calls.findLast((c) => c.operation === 'CreateJob')!.input).toMatchObject({ JobType: 'EXPORT', RoleARN: 'arn:aws:iam::123456789012:role/snowball-export', ShippingOption: 'SECOND_DAY' });
  });
});

/** Moves the cursor down until `pattern` shows, each move seen on the screen before the next. */
async function moveTo({ screen, keys }: Terminal, pattern: RegExp): Promise<void> {
  for (let moves = 0; !pattern.test(await screen()); moves++) {
    if (moves > 20) throw new Error(`the cursor never reached ${pattern}:\n${await screen()}`);
    const before = await screen();
    await keys('Down');
    await waitFor(async () => (await screen()) !== before, 'the cursor to move', { timeoutMs: 30_000, intervalMs: 50 });
  }
}
