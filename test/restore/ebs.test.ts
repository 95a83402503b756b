import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OffsiteEventSchema } from '../../src/core/events.js';
import { pollUntil } from '../../src/core/util/poll.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { liveInstances, volumeIds, volumeTags } from '../helpers/moto-state.js';
import { pseudoRandom } from '../helpers/trees.js';
import { describeEveryKind, describedDifferences, makeEveryKindTree, type Described } from './every-kind.js';

const GiB = 1024 ** 3;
let sandbox: Sandbox;
let work: string;
let source: string;
let expected: Described;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  sandbox = await startSandbox();
  work = await mkdtemp(join(tmpdir(), 'offsite-restore-ebs-'));
  source = join(work, 'source');
  await mkdir(source);
  await makeEveryKindTree(source, { sparseBytes: GiB, specials: true, nonUtf8: true, hardLinks: true, newlineName: true });
  expected = await describeEveryKind(source);
  env = isolatedEnv(sandbox.env);
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

type Event = { type: string; result?: Record<string, unknown>; message?: string; exitCode?: number };

function events(stdout: string): Event[] {
  const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
  for (const event of lines) expect(OffsiteEventSchema.safeParse(event).error).toBeUndefined();
  return lines;
}

function resultOf(stdout: string): Record<string, unknown> {
  const result = events(stdout).find((e) => e.type === 'result')?.result;
  expect(result).toBeDefined();
  return result!;
}

async function backup(args: string[]): Promise<Record<string, unknown>> {
  const run = await runCli('offsite', ['ebs', source, '--json', ...args], { env, timeoutMs: 600_000 });
  expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
  return resultOf(run.stdout);
}

async function restore(args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
  return runCli('offsite', ['restore', ...args], { env, timeoutMs: 600_000 });
}

/** The restored tree equals the source in every respect, and the 1 GiB sparse file is still mostly hole. */
async function expectSameTree(target: string): Promise<void> {
  const actual = await describeEveryKind(target);
  expect(describedDifferences(expected, actual)).toEqual([]);
  expect(actual.allocated.get('sparse.img')!).toBeLessThan(16 * 1024 * 1024);
}

/** Nothing of the restore is left beside TARGET: no staging directory, no instance. */
async function expectNoLeftovers(): Promise<void> {
  expect((await readdir(work)).filter((n) => n.includes('offsite-restore'))).toEqual([]);
  expect(await liveInstances(sandbox.ec2())).toEqual([]);
}

describe('offsite restore from a dd volume', () => {
  let volumeId: string;
  let snapshotId: string;

  it('round-trips every kind of entry: backup (with --snapshot), then restore --volume', async () => {
    const made = await backup(['--snapshot']);
    volumeId = made.volumeId as string;
    snapshotId = made.snapshotId as string;
    expect(snapshotId).toMatch(/^snap-/);
    const target = join(work, 'dd-restored');
    const run = await restore(['--volume', volumeId, target, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const result = resultOf(run.stdout);
    expect(result).toMatchObject({ method: 'dd', source: volumeId, dryRun: false });
    expect(result.files).toBe([...expected.entries.values()].filter((e) => !e.startsWith('d ')).length);
    expect(result.verified).toBe(result.files);
    expect(events(run.stdout).some((e) => e.type === 'progress')).toBe(true);
    await expectSameTree(target);
    await expectNoLeftovers();
  });

  it('lists the volume and its snapshot as restorable, with their source and method', async () => {
    const run = await restore(['--list', '--json']);
    expect(run.code).toBe(0);
    const backups = resultOf(run.stdout).backups as { id: string; method: string; source: string; restorable: boolean; kind: string }[];
    const volume = backups.find((b) => b.id === volumeId);
    const snapshot = backups.find((b) => b.id === snapshotId);
    expect(volume).toMatchObject({ kind: 'volume', method: 'dd', restorable: true });
    expect(volume!.source.endsWith(`:${source}`)).toBe(true);
    expect(snapshot).toMatchObject({ kind: 'snapshot', method: 'dd', restorable: true });
    const plain = await restore(['--list']);
    expect(plain.stdout).toContain(volumeId);
    expect(plain.stdout.split('\n')[0]).toMatch(/^ID\s+SOURCE\s+METHOD/);
  });

  it('restores from the snapshot through a temporary volume, which it deletes', async () => {
    // The sandbox copies a snapshot's data when it first sees it; wait for that copy.
    await pollUntil(async () => (existsSync(sandbox.agent.snapshotFile(snapshotId)) ? true : undefined), { timeoutMs: 60_000, what: 'the snapshot copy' });
    const before = await volumeIds(sandbox.ec2());
    const target = join(work, 'snapshot-restored');
    const run = await restore(['--snapshot', snapshotId, target, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    await expectSameTree(target);
    expect(await volumeIds(sandbox.ec2())).toEqual(before);
    await expectNoLeftovers();
  });

  it('--dry-run with --include proves the image and lists what would be written, writing nothing', async () => {
    const target = join(work, 'dry-run');
    const run = await restore(['--volume', volumeId, target, '--dry-run', '--include', 'dir/nested', '--include', './empty dir/']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean).sort()).toEqual(['dir/nested', 'dir/nested/deep.bin', 'empty dir']);
    expect(existsSync(target)).toBe(false);
    await expectNoLeftovers();
  });

  it('--include restores only the named paths', async () => {
    const target = join(work, 'partial');
    const run = await restore(['--volume', volumeId, target, '--include', 'dir/nested', '-q']);
    expect(run.code, run.stderr).toBe(0);
    expect(await readdir(target)).toEqual(['dir']);
    expect(await readdir(join(target, 'dir'))).toEqual(['nested']);
    expect((await stat(join(target, 'dir', 'nested', 'deep.bin'))).size).toBe(300_000);
  });

  it('refuses a TARGET that is not empty, before any network call, unless --overwrite', async () => {
    const target = join(work, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'keep me'), 'mine\n');
    const refused = await restore(['--volume', volumeId, target]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([`offsite: ${target} is not empty: restore into an empty or new directory, or add --overwrite`]);
    const merged = await restore(['--volume', volumeId, target, '--overwrite', '--include', 'private', '-q']);
    expect(merged.code, merged.stderr).toBe(0);
    expect((await readdir(target)).sort()).toEqual(['keep me', 'private']);
  });

  it('a corrupted image exits 3 and leaves TARGET untouched', async () => {
    const tags = await volumeTags(sandbox.ec2(), volumeId);
    const handle = await open(sandbox.volumeFile(volumeId), 'r+');
    // One byte in the middle of the tar stream: tar itself might not notice, the SHA-256 must.
    await handle.write(Buffer.from([0x5a]), 0, 1, Math.floor(Number(tags['offsite:dd-bytes']) / 2));
    await handle.close();
    const target = join(work, 'corrupt-target');
    await mkdir(target);
    const run = await restore(['--volume', volumeId, target]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/is corrupt: .*nothing was written into the target/);
    expect(await readdir(target)).toEqual([]);
    await expectNoLeftovers();
  });
});

describe('offsite restore from an rsync volume', () => {
  let volumeId: string;

  it('round-trips every kind of entry through the read-only mount and proves it by checksum', async () => {
    volumeId = (await backup(['--method', 'rsync'])).volumeId as string;
    const target = join(work, 'rsync-restored');
    const run = await restore(['--volume', volumeId, target, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(resultOf(run.stdout)).toMatchObject({ method: 'rsync', source: volumeId });
    await expectSameTree(target);
    await expectNoLeftovers();
  });

  it('refuses a volume whose tags say the backup is not complete, unless --force', async () => {
    await sandbox.ec2().send(new CreateTagsCommand({ Resources: [volumeId], Tags: [{ Key: 'offsite:state', Value: 'in-progress' }] }));
    const target = join(work, 'incomplete');
    const refused = await restore(['--volume', volumeId, target]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/offsite:state is in-progress.*--force/);
    expect(existsSync(target)).toBe(false);
    const forced = await restore(['--volume', volumeId, target, '--force', '-q']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*in-progress/);
    await expectSameTree(target);
    await expectNoLeftovers();
  });
});

describe('an interrupted restore', () => {
  it('Ctrl-C while the image streams: exit 130, TARGET never created, staging removed, instance gone, volume kept', async () => {
    const bulky = join(work, 'bulky');
    await mkdir(bulky);
    for (let i = 0; i < 6; i++) await writeFile(join(bulky, `chunk-${i}.bin`), pseudoRandom(16 * 1024 * 1024, i + 7));
    const made = await runCli('offsite', ['ebs', bulky, '--json'], { env, timeoutMs: 600_000 });
    expect(made.code, made.stderr).toBe(0);
    const volumeId = resultOf(made.stdout).volumeId as string;
    const target = join(work, 'interrupted');
    let fired = false;
    const lines: Event[] = [];
    const run = await runCli('offsite', ['restore', '--volume', volumeId, target, '--json'], {
      env,
      timeoutMs: 600_000,
      onLine: (line, child) => {
        const event = JSON.parse(line) as Event & { phase?: string; bytes?: number };
        lines.push(event);
        if (!fired && event.type === 'progress' && event.phase === 'restore' && (event.bytes ?? 0) > 0) {
          fired = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(fired, run.stderr).toBe(true);
    expect(run.code).toBe(130);
    expect(lines.at(-1)).toMatchObject({ type: 'error', exitCode: 130 });
    expect(existsSync(target)).toBe(false);
    await expectNoLeftovers();
    expect(await volumeIds(sandbox.ec2())).toContain(volumeId);
  });
});
