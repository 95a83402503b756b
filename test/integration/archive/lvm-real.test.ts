import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darExtractArgs } from '../../../src/core/archive/dar.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { describeTree, makeTrickyTree, treeDifferences } from '../../helpers/trees.js';
import { sh } from './loop-fs.js';

/**
 * LVM for real, wherever the kernel has device-mapper (not on the project's machines today, where the command
 * plan in lvm-plan.test.ts stands in). A volume group on a loop device, an ext4 origin, a snapshot archived.
 */
const deviceMapper = readFileSync('/proc/misc', 'utf8').includes('device-mapper');

describe.runIf(deviceMapper)('offsite archive from a real LVM snapshot (needs device-mapper in the kernel)', () => {
  let work: string;
  let loop: string | undefined;
  const vg = `offsite-t-${randomBytes(3).toString('hex')}`;
  let origin: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'offsite-lvm-'));
    sh('truncate', '-s', '256M', join(work, 'pv.img'));
    loop = sh('losetup', '--find', '--show', join(work, 'pv.img')).trim();
    sh('pvcreate', '-q', loop);
    sh('vgcreate', '-q', vg, loop);
    sh('lvcreate', '-q', '-L', '96M', '-n', 'origin', vg);
    sh('mkfs.ext4', '-q', `/dev/${vg}/origin`);
    origin = join(work, 'origin');
    await mkdir(origin);
    sh('mount', `/dev/${vg}/origin`, origin);
    await makeTrickyTree(origin, { sparseMiB: 8 });
    sh('sync');
  });

  afterAll(async () => {
    if (origin) sh('umount', origin);
    if (loop) {
      sh('vgremove', '-q', '-f', vg);
      sh('pvremove', '-q', loop);
      sh('losetup', '-d', loop);
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('snapshot, mount read-only, dar FULL: the extraction equals the (quiet) origin', async () => {
    const target = join(work, 'target');
    await mkdir(target);
    const profile = join(work, 'lvm.ini');
    await writeFile(profile, `[lvm]\nvolume_group = ${vg}\nlogical_volume = origin\nsnapshot_lv_name = origin-snap\nsnapshot_size = 32M\n\n[backup]\nsource_type = lvm\ntarget = ${target}\narchive_prefix = lvm-\n`);
    const run = await runCli('offsite', ['archive', profile, '--json'], { env: isolatedEnv({ OFFSITE_STATE_DIR: join(work, 'state') }), timeoutMs: 60_000 });
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    const result = (JSON.parse(run.stdout.trim().split('\n').find((l) => l.includes('"type":"result"'))!) as { result: { set: string; archive: string } }).result;
    const restored = join(work, 'restored');
    await mkdir(restored);
    const [program, ...args] = darExtractArgs(join(result.set, result.archive), restored);
    sh(program!, ...args);
    expect(treeDifferences(await describeTree(origin, ['lost+found']), await describeTree(restored, ['lost+found']))).toEqual([]);
    expect(sh('lvs', '--noheadings', '-o', 'lv_name', vg)).not.toMatch(/origin-snap/);
  });
});
