import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { isolatedEnv, repoRoot } from '../helpers/cli.js';
import { liveInstances, volumeIds } from '../helpers/moto-state.js';
import { pseudoRandom } from '../helpers/trees.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Stopping a backup the ways operators and supervisors do, through the entry points users run: the machine's
 * own node on bin/*.js (older than 22 on the project's machines, so the launcher starts Node 24 as its child),
 * the installed shell entry (bin/offsite, which execs Node 24) and npx. Each ends in a full clean-up, the
 * documented exit code and no process left behind.
 */
let sandbox: Sandbox;
let work: string;
let source: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  sandbox = await startSandbox();
  work = await mkdtemp(join(tmpdir(), 'offsite-signals-'));
  source = join(work, 'source');
  await mkdir(source);
  for (let i = 0; i < 8; i++) await writeFile(join(source, `chunk-${i}.bin`), pseudoRandom(4 * 1024 * 1024, i + 1));
  env = isolatedEnv(sandbox.env);
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The machine's own node: the first on PATH outside this project (npm test puts Node 24 first). */
function systemNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.startsWith(repoRoot)) continue;
    if (existsSync(join(dir, 'node'))) return join(dir, 'node');
  }
  throw new Error('no node on PATH outside the project');
}

type Entry = 'system-node' | 'shell-entry' | 'npx';

function commandFor(entry: Entry, bin: 'offsite' | 'ec2-backup', args: string[]): [string, string[]] {
  if (entry === 'system-node') return [systemNode(), [join(repoRoot, 'bin', `${bin}.js`), ...args]];
  if (entry === 'shell-entry') return [join(repoRoot, 'bin', bin), args];
  return ['npx', ['--no-install', bin, ...args]];
}

interface Started {
  child: ChildProcess;
  events: Array<{ type: string; phase?: string; bytes?: number; exitCode?: number; message?: string }>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a throttled dd backup as the leader of its own process group (as a terminal's foreground job is), with
 * the launcher path the machine's node takes. Resolves once the transfer has moved some bytes.
 */
async function startBackup(entry: Entry, bin: 'offsite' | 'ec2-backup' = 'offsite', json = true): Promise<Started> {
  const args = bin === 'offsite' ? ['ebs', source, '--method', 'dd', ...(json ? ['--json'] : []), '--bwlimit', '1M'] : [source];
  const runEnv = {
    ...env,
    PATH: (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(repoRoot)).join(delimiter),
    ...(bin === 'ec2-backup' ? { EC2_BACKUP_VERBOSE: '1' } : {}),
  };
  const [program, argv] = commandFor(entry, bin, args);
  const child = spawn(program, argv, { cwd: repoRoot, env: runEnv as NodeJS.ProcessEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Started['events'] = [];
  let stderr = '';
  let pending = '';
  let transferring = false;
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as Started['events'][number];
      events.push(event);
      if (event.type === 'progress' && event.phase === 'dd' && (event.bytes ?? 0) > 256 * 1024) transferring = true;
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    // ec2-backup has no bandwidth limit: it is stopped once the volume is attached, before the data moves.
    if (/^\s+dd: /m.test(stderr) || (bin === 'ec2-backup' && /^ok\s+.*[Aa]ttach/m.test(stderr))) transferring = true;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  await waitFor(() => transferring || child.exitCode !== null, 'the transfer to get going', { timeoutMs: 120_000 });
  expect(child.exitCode, stderr).toBeNull();
  return { child, events, stderr: () => stderr, exited };
}

/** Processes still running that belong to this test's backups (their command lines name the source). */
function leftoverProcesses(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(source) && !line.includes(' ps -eo'));
}

async function expectCleanedUp(before: string[]): Promise<void> {
  await waitFor(() => leftoverProcesses().length === 0, 'every process of the run to end', { timeoutMs: 60_000 }).catch(() => undefined);
  expect(leftoverProcesses()).toEqual([]);
  expect(await liveInstances(sandbox.ec2())).toEqual([]);
  expect(await volumeIds(sandbox.ec2())).toEqual(before);
}

const groupOf = (child: ChildProcess) => -child.pid!;

describe('one signal is one press, whoever sends it', () => {
  // npm runs a bin through `sh -c`, and dies of the signal it forwarded once its child has exited: a shell sees
  // 130 (SIGINT) or 143 (SIGTERM) from npx. A SIGTERM to npx alone kills that sh, and offsite, orphaned, cleans up.
  const cases: Array<{ name: string; entry: Entry; bin?: 'offsite' | 'ec2-backup'; send: (child: ChildProcess) => void; code: number | NodeJS.Signals }> = [
    { name: 'Ctrl-C from a terminal (SIGINT to the process group), machine node', entry: 'system-node', send: (c) => process.kill(groupOf(c), 'SIGINT'), code: 130 },
    { name: 'timeout/systemd (SIGTERM to the main pid only), machine node', entry: 'system-node', send: (c) => c.kill('SIGTERM'), code: 130 },
    { name: 'a closed terminal (SIGHUP to the process group), machine node', entry: 'system-node', send: (c) => process.kill(groupOf(c), 'SIGHUP'), code: 130 },
    { name: 'Ctrl-C to ec2-backup, machine node', entry: 'system-node', bin: 'ec2-backup', send: (c) => process.kill(groupOf(c), 'SIGINT'), code: 130 },
    { name: 'SIGTERM to the main pid of the installed entry (bin/offsite)', entry: 'shell-entry', send: (c) => c.kill('SIGTERM'), code: 130 },
    { name: 'Ctrl-C under npx (SIGINT to the process group)', entry: 'npx', send: (c) => process.kill(groupOf(c), 'SIGINT'), code: 'SIGINT' },
    { name: 'timeout on npx (SIGTERM to npx alone)', entry: 'npx', send: (c) => c.kill('SIGTERM'), code: 'SIGTERM' },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}: cleans up, exit ${testCase.code}, nothing left`, async () => {
      const before = await volumeIds(sandbox.ec2());
      const run = await startBackup(testCase.entry, testCase.bin);
      testCase.send(run.child);
      const { code, signal } = await run.exited;
      expect(typeof testCase.code === 'number' ? code : signal, run.stderr()).toBe(testCase.code);
      // npx may be gone before offsite has finished cleaning up: wait for the run itself to end.
      await waitFor(() => leftoverProcesses().length === 0, 'every process of the run to end', { timeoutMs: 120_000 });
      // One press: the clean-up ran to its end, never "abandoning".
      expect(run.stderr()).not.toMatch(/abandoning the clean-up/);
      if (testCase.bin !== 'ec2-backup') expect(run.events.at(-1)).toMatchObject({ type: 'error', exitCode: 130 });
      await expectCleanedUp(before);
    });
  }

  it('the launcher killed outright (SIGKILL to the machine node): Node 24 notices and cleans up', async () => {
    const before = await volumeIds(sandbox.ec2());
    const run = await startBackup('system-node');
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    await waitFor(() => leftoverProcesses().length === 0, 'the orphaned run to clean up and end', { timeoutMs: 120_000 });
    expect(run.events.at(-1)).toMatchObject({ type: 'error', exitCode: 130, message: 'interrupted: the process that started offsite went away' });
    await expectCleanedUp(before);
  });

  it('two presses abandon the clean-up (and say so)', async () => {
    const run = await startBackup('system-node', 'offsite', false);
    try {
      process.kill(groupOf(run.child), 'SIGINT');
      await waitFor(() => /cleaning up/.test(run.stderr()), 'the clean-up to start');
      process.kill(groupOf(run.child), 'SIGINT');
      const { code } = await run.exited;
      expect(code, run.stderr()).toBe(130);
      expect(run.stderr()).toMatch(/abandoning the clean-up/);
    } finally {
      // What the abandoned clean-up left is removed here, so later tests start clean.
      await waitFor(() => leftoverProcesses().length === 0, 'the run to end');
      const ec2 = sandbox.ec2();
      const { TerminateInstancesCommand } = await import('@aws-sdk/client-ec2');
      const live = await liveInstances(ec2);
      if (live.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: live }));
    }
  });
});

describe('output that goes away stops the run, which still cleans up', () => {
  it('a --json reader that stops reading (stdout closed): exit 141, nothing left', async () => {
    const before = await volumeIds(sandbox.ec2());
    const run = await startBackup('system-node');
    run.child.stdout!.destroy();
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(141);
    expect(run.stderr()).not.toMatch(/EPIPE|at .*\.js:\d+/);
    await expectCleanedUp(before);
  });

  it('stderr closed under plain output (offsite ebs D 2>&1 | head): exit 141, nothing left', async () => {
    const before = await volumeIds(sandbox.ec2());
    const [program, argv] = commandFor('system-node', 'offsite', ['ebs', source, '--method', 'dd', '--bwlimit', '1M']);
    const child = spawn(program, argv, { cwd: repoRoot, env: env as NodeJS.ProcessEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let seen = '';
    child.stdout.resume();
    await new Promise<void>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        seen += text;
        if (/^\s+dd: /m.test(seen)) {
          child.stderr.destroy(); // like head(1) exiting after its lines
          resolve();
        }
      });
      child.on('close', () => resolve());
    });
    expect(await exited, seen).toBe(141);
    await expectCleanedUp(before);
  });
});
