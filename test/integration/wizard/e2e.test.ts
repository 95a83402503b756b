import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox.js';
import { isolatedEnv, repoRoot } from '../../helpers/cli.js';
import { liveInstances } from '../../helpers/moto-state.js';
import { describeTree, treeDifferences } from '../../helpers/trees.js';
import { describeRsyncVolume } from '../../helpers/volumes.js';
import { shellQuote } from '../../../src/ssh/quote.js';
import { openTerminal, type Terminal } from '../../helpers/terminal.js';

const run = promisify(execFile);
const session = `offsite-e2e-${process.pid}`;

let sandbox: Sandbox;
let work: string;
let source: string;

beforeAll(async () => {
  await run('tmux', ['-V']); // a missing tmux fails here, loudly
  sandbox = await startSandbox();
  work = await mkdtemp(join(tmpdir(), 'offsite-e2e-'));
  source = join(work, 'my data');
  await cp(join(repoRoot, 'fixtures', 'sample-tree'), source, { recursive: true, verbatimSymlinks: true });
});

const terminals: Terminal[] = [];

afterAll(async () => {
  for (const terminal of terminals) await terminal.close();
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** `offsite` with no arguments in a fresh tmux terminal on the sandbox; its exit status lands in `exitFile`. */
async function openWizard(name: string) {
  const env = isolatedEnv(sandbox.env);
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
    expect(await liveInstances(sandbox.ec2())).toEqual([]);
    expect(treeDifferences(await describeTree(source), await describeRsyncVolume(sandbox, volumeId, work))).toEqual([]);

    // The review screen's command line, run by a script (no terminal), gives the same result.
    const scripted = await run('sh', ['-c', commandLine.replace(/^offsite /, `${shellQuote(join(repoRoot, 'bin', 'offsite.js'))} `)], {
      env: env as NodeJS.ProcessEnv,
    });
    const scriptedVolume = scripted.stdout.trim();
    expect(scriptedVolume).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(scripted.stderr).not.toMatch(/\u001b\[/);
    expect(treeDifferences(await describeTree(source), await describeRsyncVolume(sandbox, scriptedVolume, work))).toEqual([]);
  });

  it('refuses an S3 bucket that is not there on its screen (HeadBucket), then stores into one that is', async () => {
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
});
