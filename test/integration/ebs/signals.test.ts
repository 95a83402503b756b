import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { processesMentioning, startEntry, type Entry, type EntryRun } from '../../helpers/entry-run.js';
import { liveInstances, volumeIds } from '../../helpers/moto-state.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * Stopping a backup the ways operators and supervisors do, through the entry points users run (see
 * helpers/entry-run.ts). Each ends in a full clean-up, the documented exit code and no process left behind.
 */
const fx = useSandbox('signals');
let source: string;

beforeAll(async () => {
  source = join(fx.work, 'source');
  await mkdir(source);
  for (let i = 0; i < 8; i++) await writeFile(join(source, `chunk-${i}.bin`), pseudoRandom(4 * 1024 * 1024, i + 1));
});

/**
 * Starts a throttled dd backup (ec2-backup: plain, verbose) and resolves once the transfer has moved some bytes
 * (ec2-backup has no bandwidth limit: it is stopped once the volume is attached, before the data moves).
 */
async function startBackup(entry: Entry, bin: 'offsite' | 'ec2-backup' = 'offsite', json = true): Promise<EntryRun> {
  const args = bin === 'offsite' ? ['ebs', source, '--method', 'dd', ...(json ? ['--json'] : []), '--bwlimit', '1M'] : [source];
  let transferring = false;
  const run = startEntry(entry, bin, args, { ...fx.env, ...(bin === 'ec2-backup' ? { EC2_BACKUP_VERBOSE: '1' } : {}) }, {
    event: (event) => {
      if (event.type === 'progress' && event.phase === 'dd' && (event.bytes ?? 0) > 256 * 1024) transferring = true;
    },
    stderr: (all) => {
      if (/^\s+dd: /m.test(all) || (bin === 'ec2-backup' && /^ok\s+.*[Aa]ttach/m.test(all))) transferring = true;
    },
  });
  await waitFor(() => transferring || run.child.exitCode !== null, 'the transfer to get going', { timeoutMs: 120_000 });
  expect(run.child.exitCode, run.stderr()).toBeNull();
  return run;
}

const leftoverProcesses = (): string[] => processesMentioning(source);

async function expectCleanedUp(before: string[]): Promise<void> {
  await waitFor(() => leftoverProcesses().length === 0, 'every process of the run to end', { timeoutMs: 60_000 }).catch(() => undefined);
  expect(leftoverProcesses()).toEqual([]);
  expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
  expect(await volumeIds(fx.sandbox.ec2())).toEqual(before);
}

describe('one signal is one press, whoever sends it', () => {
  // npm runs a bin through `sh -c`, and dies of the signal it forwarded once its child has exited: a shell sees
  // 130 (SIGINT) or 143 (SIGTERM) from npx. A SIGTERM to npx alone kills that sh, and offsite, orphaned, cleans up.
  const cases: Array<{ name: string; entry: Entry; bin?: 'offsite' | 'ec2-backup'; send: (run: EntryRun) => void; code: number | NodeJS.Signals }> = [
    { name: 'Ctrl-C from a terminal (SIGINT to the process group), machine node', entry: 'system-node', send: (r) => r.signalGroup('SIGINT'), code: 130 },
    { name: 'timeout/systemd (SIGTERM to the main pid only), machine node', entry: 'system-node', send: (r) => r.child.kill('SIGTERM'), code: 130 },
    { name: 'a closed terminal (SIGHUP to the process group), machine node', entry: 'system-node', send: (r) => r.signalGroup('SIGHUP'), code: 130 },
    { name: 'Ctrl-C to ec2-backup, machine node', entry: 'system-node', bin: 'ec2-backup', send: (r) => r.signalGroup('SIGINT'), code: 130 },
    { name: 'SIGTERM to the main pid of the installed entry (bin/offsite)', entry: 'shell-entry', send: (r) => r.child.kill('SIGTERM'), code: 130 },
    { name: 'Ctrl-C under npx (SIGINT to the process group)', entry: 'npx', send: (r) => r.signalGroup('SIGINT'), code: 'SIGINT' },
    { name: 'timeout on npx (SIGTERM to npx alone)', entry: 'npx', send: (r) => r.child.kill('SIGTERM'), code: 'SIGTERM' },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}: cleans up, exit ${testCase.code}, nothing left`, async () => {
      const before = await volumeIds(fx.sandbox.ec2());
      const run = await startBackup(testCase.entry, testCase.bin);
      testCase.send(run);
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
    const before = await volumeIds(fx.sandbox.ec2());
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
      run.signalGroup('SIGINT');
      await waitFor(() => /cleaning up/.test(run.stderr()), 'the clean-up to start');
      run.signalGroup('SIGINT');
      const { code } = await run.exited;
      expect(code, run.stderr()).toBe(130);
      expect(run.stderr()).toMatch(/abandoning the clean-up/);
    } finally {
      // What the abandoned clean-up left is removed here, so later tests start clean.
      await waitFor(() => leftoverProcesses().length === 0, 'the run to end');
      const ec2 = fx.sandbox.ec2();
      const { TerminateInstancesCommand } = await import('@aws-sdk/client-ec2');
      const live = await liveInstances(ec2);
      if (live.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: live }));
    }
  });
});

describe('output that goes away stops the run, which still cleans up', () => {
  it('a --json reader that stops reading (stdout closed): exit 141, nothing left', async () => {
    const before = await volumeIds(fx.sandbox.ec2());
    const run = await startBackup('system-node');
    run.child.stdout!.destroy();
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(141);
    expect(run.stderr()).not.toMatch(/EPIPE|at .*\.js:\d+/);
    await expectCleanedUp(before);
  });

  it('stderr closed under plain output (offsite ebs D 2>&1 | head): exit 141, nothing left', async () => {
    const before = await volumeIds(fx.sandbox.ec2());
    const run = await startBackup('system-node', 'offsite', false);
    run.child.stderr!.destroy(); // like head(1) exiting after its lines
    expect((await run.exited).code, run.stderr()).toBe(141);
    await expectCleanedUp(before);
  });
});
