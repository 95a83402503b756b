import { execFile } from 'node:child_process';
import { appendFile, rm, unlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { OffsiteEventSchema } from '../../../src/core/events.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { runCli } from '../../helpers/cli.js';
import { liveInstances, volumeIds, volumeTags } from '../../helpers/moto-state.js';
import { describeTree, makeTrickyTree, pseudoRandom, treeDifferences } from '../../helpers/trees.js';
import { describeRsyncVolume } from '../../helpers/volumes.js';

const run = promisify(execFile);

const fx = useSandbox('roundtrip');
let source: string;

beforeAll(async () => {
  source = join(fx.work, 'source');
  await makeTrickyTree(source);
});

/** Extracts the tar stream a dd backup left on the volume's backing file. */
async function restoreDd(volumeId: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  await run('tar', ['--extract', '--file', fx.sandbox.volumeFile(volumeId), '--numeric-owner', '--directory', into]);
}

async function expectNothingRunning(): Promise<void> {
  expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
}

describe('ec2-backup, method dd', () => {
  it('writes a tar stream of the tree onto a new volume and prints only the volume id', async () => {
    const before = await volumeIds(fx.sandbox.ec2());
    const result = await runCli('ec2-backup', [source], { env: fx.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^vol-[0-9a-f]{17}\n$/);
    const volumeId = result.stdout.trim();
    expect(await volumeIds(fx.sandbox.ec2())).toEqual([...before, volumeId].sort());
    await expectNothingRunning();

    const restored = join(fx.work, 'restored-dd');
    await restoreDd(volumeId, restored);
    expect(treeDifferences(await describeTree(source), await describeTree(restored))).toEqual([]);

    const tags = await volumeTags(fx.sandbox.ec2(), volumeId);
    expect(tags['offsite:method']).toBe('dd');
    expect(tags['offsite:dd-sha256']).toMatch(/^[0-9a-f]{64}$/);
    // The recorded length and hash describe exactly the bytes at the start of the volume.
    const { stdout } = await run('sh', ['-c', `head -c ${tags['offsite:dd-bytes']} '${fx.sandbox.volumeFile(volumeId)}' | sha256sum`]);
    expect(stdout.slice(0, 64)).toBe(tags['offsite:dd-sha256']);
  });

  it('keeps the new volume sized at 2 × the directory, rounded up to whole GiB', async () => {
    const result = await runCli('offsite', ['ebs', source, '--json'], { env: fx.env });
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; result?: { volumeId: string } });
    // Every line is an event of the documented schema, and stdout holds nothing else.
    for (const event of events) expect(OffsiteEventSchema.safeParse(event).error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['run-start', 'phase-start', 'phase-end', 'progress', 'resource-created', 'resource-released', 'result']));
    const volumeId = events.find((e) => e.type === 'result')!.result!.volumeId;
    const volume = (await fx.sandbox.ec2().send(new (await import('@aws-sdk/client-ec2')).DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0]!;
    // 64 MiB sparse file + a few hundred KiB: 2 × < 1 GiB → 1 GiB.
    expect(volume.Size).toBe(1);
    expect(volume.VolumeType).toBe('gp3');
    await expectNothingRunning();
  });
});

describe('ec2-backup, method rsync', () => {
  let volumeId: string;

  it('makes a filesystem on a new volume and mirrors the tree onto it', async () => {
    const result = await runCli('ec2-backup', ['-m', 'rsync', source], { env: fx.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    volumeId = result.stdout.trim();
    expect(volumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    await expectNothingRunning();
    expect(treeDifferences(await describeTree(source), await describeRsyncVolume(fx.sandbox, volumeId, fx.work))).toEqual([]);
  });

  it('backs up changes, additions and deletions incrementally onto the same volume', async () => {
    expect(volumeId).toBeDefined();
    await appendFile(join(source, 'dir with spaces', 'a file.txt'), 'a second line\n');
    await writeFile(join(source, 'new file.bin'), pseudoRandom(10_000, 9));
    await unlink(join(source, 'private'));
    await rm(join(source, 'empty dir'), { recursive: true });

    const result = await runCli('offsite', ['ebs', source, '--method', 'rsync', '--volume', volumeId, '--json'], { env: fx.env });
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const res = events.find((e) => e.type === 'result')!.result as { volumeId: string; bytesTransferred: number; createdVolume: boolean };
    expect(res.volumeId).toBe(volumeId);
    expect(res.createdVolume).toBe(false);
    // The existing filesystem is kept (never reformatted) and only the changes travel.
    expect(events.some((e) => e.type === 'phase-end' && e.phase === 'mkfs' && e.status === 'skipped')).toBe(true);
    expect(res.bytesTransferred).toBeLessThan(1_000_000);
    await expectNothingRunning();
    expect(treeDifferences(await describeTree(source), await describeRsyncVolume(fx.sandbox, volumeId, fx.work))).toEqual([]);
  });

  it('refuses to format a volume that holds data without a filesystem (a dd backup)', async () => {
    const dd = await runCli('ec2-backup', [source], { env: fx.env });
    expect(dd.code).toBe(0);
    const ddVolume = dd.stdout.trim();
    const before = await describeTree(source);
    const result = await runCli('ec2-backup', ['-m', 'rsync', '-v', ddVolume, source], { env: fx.env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/holds data but no filesystem/);
    // The dd backup is intact and the user's volume still exists.
    const restored = join(fx.work, 'restored-after-refusal');
    await restoreDd(ddVolume, restored);
    expect(treeDifferences(before, await describeTree(restored))).toEqual([]);
    await expectNothingRunning();
  });
});
