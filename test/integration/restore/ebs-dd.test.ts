import { existsSync } from 'node:fs';
import { mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../../src/util/poll.js';
import { volumeIds, volumeTags } from '../../helpers/moto-state.js';
import { useRestoreFixture } from './ebs-fixture.js';

const { fx, backup, restore, events, resultOf, expectSameTree, expectNoLeftovers } = useRestoreFixture('dd');

describe('offsite restore from a dd volume', () => {
  let volumeId: string;
  let snapshotId: string;

  it('round-trips every kind of entry: backup (with --snapshot), then restore --volume', async () => {
    const made = await backup(['--snapshot']);
    volumeId = made.volumeId as string;
    snapshotId = made.snapshotId as string;
    expect(snapshotId).toMatch(/^snap-/);
    const target = join(fx.work, 'dd-restored');
    const run = await restore(['--volume', volumeId, target, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const result = resultOf(run.stdout);
    expect(result).toMatchObject({ method: 'dd', source: volumeId, dryRun: false });
    expect(result.files).toBe([...fx.expected.entries.values()].filter((e) => !e.startsWith('d ')).length);
    expect(result.verified).toBe(result.files);
    expect(events(run.stdout).some((e) => e.type === 'progress')).toBe(true);
    await expectSameTree(target);
    await expectNoLeftovers();
  });

  it('lists the volume and its snapshot as restorable, with their fx.source and method', async () => {
    const run = await restore(['--list', '--json']);
    expect(run.code).toBe(0);
    const backups = resultOf(run.stdout).backups as { id: string; method: string; source: string; restorable: boolean; kind: string }[];
    const volume = backups.find((b) => b.id === volumeId);
    const snapshot = backups.find((b) => b.id === snapshotId);
    expect(volume).toMatchObject({ kind: 'volume', method: 'dd', restorable: true });
    expect(volume!.source.endsWith(`:${fx.source}`)).toBe(true);
    expect(snapshot).toMatchObject({ kind: 'snapshot', method: 'dd', restorable: true });
    const plain = await restore(['--list']);
    expect(plain.stdout).toContain(volumeId);
    expect(plain.stdout.split('\n')[0]).toMatch(/^ID\s+SOURCE\s+METHOD/);
  });

  it('restores from the snapshot through a temporary volume, which it deletes', async () => {
    // The sandbox copies a snapshot's data when it first sees it; wait for that copy.
    await pollUntil(async () => (existsSync(fx.sandbox.agent.snapshotFile(snapshotId)) ? true : undefined), { timeoutMs: 60_000, what: 'the snapshot copy' });
    const before = await volumeIds(fx.sandbox.ec2());
    const target = join(fx.work, 'snapshot-restored');
    const run = await restore(['--snapshot', snapshotId, target, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    await expectSameTree(target);
    expect(await volumeIds(fx.sandbox.ec2())).toEqual(before);
    await expectNoLeftovers();
  });

  it('--dry-run with --include proves the image and lists what would be written, writing nothing', async () => {
    const target = join(fx.work, 'dry-run');
    const run = await restore(['--volume', volumeId, target, '--dry-run', '--include', 'dir/nested', '--include', './empty dir/']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean).sort()).toEqual(['dir/nested', 'dir/nested/deep.bin', 'empty dir']);
    expect(existsSync(target)).toBe(false);
    await expectNoLeftovers();
  });

  it('--include restores only the named paths', async () => {
    const target = join(fx.work, 'partial');
    const run = await restore(['--volume', volumeId, target, '--include', 'dir/nested', '-q']);
    expect(run.code, run.stderr).toBe(0);
    expect(await readdir(target)).toEqual(['dir']);
    expect(await readdir(join(target, 'dir'))).toEqual(['nested']);
    expect((await stat(join(target, 'dir', 'nested', 'deep.bin'))).size).toBe(300_000);
  });

  it('refuses a TARGET that is not empty, before any network call, unless --overwrite', async () => {
    const target = join(fx.work, 'occupied');
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
    const tags = await volumeTags(fx.sandbox.ec2(), volumeId);
    const handle = await open(fx.sandbox.volumeFile(volumeId), 'r+');
    // One byte in the middle of the tar stream: tar itself might not notice, the SHA-256 must.
    await handle.write(Buffer.from([0x5a]), 0, 1, Math.floor(Number(tags['offsite:dd-bytes']) / 2));
    await handle.close();
    const target = join(fx.work, 'corrupt-target');
    await mkdir(target);
    const run = await restore(['--volume', volumeId, target]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/is corrupt: .*nothing was written into the target/);
    expect(await readdir(target)).toEqual([]);
    await expectNoLeftovers();
  });
});

