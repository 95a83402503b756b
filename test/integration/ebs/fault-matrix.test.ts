import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteVolumeCommand, DescribeInstancesCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { processesMentioning, startEntry, type EntryRun, type OffsiteEventLine } from '../../helpers/entry-run.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * The fault matrix: a backup started through the machine's node (bin/*.js, the launcher path) is hit at each
 * phase by each way a run can be stopped from outside. Whatever the moment, afterwards nothing of the run is
 * running (instance, processes, mounts), no volume it created is left unless the backup finished, and the exit
 * code is the documented one. Faults are fired when the phase starts, so where they land within it varies: the
 * invariants must hold wherever.
 */
const fx = useSandbox('matrix');
const sandbox = () => fx.sandbox;

type Fault = 'SIGINT to the group' | 'SIGTERM to the main pid' | 'SIGHUP to the group' | 'stdout closed' | 'SSH session killed';

const FAULTS: Record<Fault, { fire: (run: EntryRun) => void; code: number }> = {
  'SIGINT to the group': { fire: (run) => run.signalGroup('SIGINT'), code: 130 },
  'SIGTERM to the main pid': { fire: (run) => run.child.kill('SIGTERM'), code: 130 },
  'SIGHUP to the group': { fire: (run) => run.signalGroup('SIGHUP'), code: 130 },
  'stdout closed': { fire: (run) => run.child.stdout!.destroy(), code: 141 },
  'SSH session killed': { fire: () => void sandbox().sshd.dropConnections(), code: 1 },
};

/**
 * From these phases on the work can be done before a fault lands (the last check, the final clean-up), and exit 0
 * with a finished, proved backup is an honest outcome; earlier, a fault that changed nothing would be a bug.
 */
const LATE_PHASES = new Set(['verify', 'unmount', 'cleanup:attachment', 'cleanup:instance']);

/** When to fire: the start of a phase, or (`transfer`) the first bytes of the copy. */
function reached(target: string, method: 'dd' | 'rsync', event: OffsiteEventLine): boolean {
  // dd: past what the pipes hold before ssh reads its stdin, so the bulk connection is up and the stream half sent
  // (the proof needs no later round trip that a fault could land on instead).
  if (target === 'transfer') return event.type === 'progress' && event.phase === method && (event.bytes ?? 0) > (method === 'dd' ? 512 * 1024 : 0);
  return event.type === 'phase-start' && event.phase === target;
}

let sources = 0;
async function sourceTree(): Promise<string> {
  const dir = join(fx.work, `source-${++sources}`);
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'a.bin'), pseudoRandom(1536 * 1024, sources));
  await writeFile(join(dir, 'sub', 'b.txt'), 'small\n');
  return dir;
}

async function resourcesOf(runId: string): Promise<{ instances: string[]; volumes: string[] }> {
  const ec2 = fx.sandbox.ec2();
  const filter = [{ Name: 'tag:offsite:run-id', Values: [runId] }];
  const found = await ec2.send(new DescribeInstancesCommand({ Filters: filter }));
  const instances = (found.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated').map((i) => i.InstanceId!);
  const volumes = ((await ec2.send(new DescribeVolumesCommand({ Filters: filter }))).Volumes ?? []).map((v) => v.VolumeId!);
  return { instances, volumes };
}

/** Those of `volumes` whose tags say a backup was completed on them. */
async function finishedBackups(volumes: string[]): Promise<string[]> {
  if (volumes.length === 0) return [];
  const found = await fx.sandbox.ec2().send(new DescribeVolumesCommand({ VolumeIds: volumes }));
  return (found.Volumes ?? []).filter((v) => (v.Tags ?? []).some((t) => t.Key === 'offsite:state' && t.Value === 'complete')).map((v) => v.VolumeId!);
}

async function faultCase(method: 'dd' | 'rsync', phase: string, fault: Fault): Promise<void> {
  const source = await sourceTree();
  let fired = false;
  const run = startEntry('system-node', 'offsite', ['ebs', source, '--method', method, '--json', '--bwlimit', '1M'], fx.env, {
    event: (event, self) => {
      if (fired || !reached(phase, method, event)) return;
      fired = true;
      FAULTS[fault].fire(self);
    },
  });
  const { code } = await run.exited;
  await waitFor(() => processesMentioning(source).length === 0, 'every process of the run to end', { timeoutMs: 120_000 });
  const runId = run.events.find((e) => e.type === 'run-start')?.runId;
  expect(fired, `phase ${phase} never came: ${run.stderr()}`).toBe(true);
  expect(runId).toBeDefined();
  expect(LATE_PHASES.has(phase) ? [FAULTS[fault].code, 0] : [FAULTS[fault].code], `exit ${code}: ${run.stderr()}`).toContain(code);
  expect(run.stderr()).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m); // no stack trace
  const left = await resourcesOf(runId!);
  expect(left.instances, 'instances still running').toEqual([]);
  // A volume the run kept must hold a finished backup (an interrupt during the final clean-up comes after it).
  const finished = await finishedBackups(left.volumes);
  for (const volume of finished) await fx.sandbox.ec2().send(new DeleteVolumeCommand({ VolumeId: volume })); // keep the sandbox small
  {
    const story = run.events.filter((e) => e.type !== 'progress').map((e) => JSON.stringify(e)).join('\n');
    expect(left.volumes.filter((v) => !finished.includes(v)), `volumes of an unfinished backup; the run said:\n${story}`).toEqual([]);
    if (code === 0) expect(finished).toHaveLength(1);
  }
  // A mount the run could not undo (its SSH session gone) dies with the terminated instance; the sandbox's
  // stand-in instance lets go of it when it sees the volume detached, on its next poll.
  const mountsOfRun = async () => (await readFile('/proc/mounts', 'utf8')).split('\n').filter((line) => line.includes(`offsite-${runId}`));
  await waitFor(async () => (await mountsOfRun()).length === 0, 'the instance to lose the run\'s mounts', { timeoutMs: 30_000 }).catch(() => undefined);
  const mounts = await mountsOfRun();
  expect(mounts, `mounts left; the run said:\n${run.events.filter((e) => e.type !== 'progress').map((e) => JSON.stringify(e)).join('\n')}`).toEqual([]);
}

const DD_PHASES = ['instance', 'volume', 'attach', 'ssh', 'device', 'transfer', 'verify', 'cleanup:attachment', 'cleanup:instance'];
const RSYNC_PHASES = ['ssh', 'mkfs', 'mount', 'transfer', 'unmount', 'cleanup:instance'];
const SIGNAL_FAULTS: Fault[] = ['SIGINT to the group', 'SIGTERM to the main pid', 'SIGHUP to the group', 'stdout closed'];

// SIGHUP takes the same path as SIGINT to the group (both reach every process of the run at once): it is
// checked at one phase per stage (control plane, data, clean-up) rather than at every phase.
const SIGHUP_PHASES = new Set(['attach', 'transfer', 'cleanup:instance']);

describe.concurrent('dd: every phase × every way of stopping', () => {
  for (const phase of DD_PHASES) {
    for (const fault of SIGNAL_FAULTS) {
      if (fault === 'SIGHUP to the group' && !SIGHUP_PHASES.has(phase)) continue;
      it(`${fault} at ${phase}`, () => faultCase('dd', phase, fault));
    }
  }
});

describe.concurrent('rsync: every phase × every way of stopping', () => {
  for (const phase of RSYNC_PHASES) {
    for (const fault of ['SIGTERM to the main pid', 'stdout closed'] as Fault[]) it(`${fault} at ${phase}`, () => faultCase('rsync', phase, fault));
  }
  for (const phase of ['mount', 'transfer']) it(`SIGINT to the group at ${phase}`, () => faultCase('rsync', phase, 'SIGINT to the group'));
});

// Killing sshd's sessions hits every run in the sandbox: these go one at a time.
describe('a dropped SSH session at each phase that uses it', () => {
  for (const phase of ['device', 'transfer', 'verify', 'cleanup:attachment']) it(`dd at ${phase}`, () => faultCase('dd', phase, 'SSH session killed'));
  for (const phase of ['mkfs', 'transfer', 'unmount']) it(`rsync at ${phase}`, () => faultCase('rsync', phase, 'SSH session killed'));
});
