import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLoopDisk, manifests, mountsOfLoop, TRUECRYPT_PASSWORD, type LoopDisk } from '../export/helpers.js';
import { PROGRESS_LEFT, runLive, type LiveRun } from './live-terminal.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

const fx = useSandbox('export-live', { jobServicesOnly: { importExport: { createDelayMs: 0 } } });
let env: Record<string, string | undefined>;
let run: LiveRun | undefined;
const disks: LoopDisk[] = [];

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('create-job on a device needs root (loop devices, mkfs, mount)');
  const tmp = join(fx.sandbox.dir, 'tmp');
  await mkdir(tmp);
  env = { ...fx.env, TMPDIR: tmp };
});

afterAll(async () => {
  await run?.tty.close();
  for (const disk of disks) disk.destroy();
});

async function start(name: string, args: string[]): Promise<LiveRun> {
  await run?.tty.close();
  run = await runLive(`offsite-export-live-${name}`, fx.sandbox.dir, env, ['export', ...args]);
  return run;
}

describe('offsite export shows the live task list on a terminal', () => {
  it('create-job: validation, the device prepared, the job created and its SIGNATURE stored, each ✔ as it ends', async () => {
    const disk = makeLoopDisk(fx.sandbox.dir, 'live', 64);
    disks.push(disk);
    const { tty, exitCode } = await start('create', ['create-job', join(manifests, 'export.yml'), disk.device, '--yes']);
    expect(await exitCode()).toBe('0');
    const screen = await tty.screen();
    for (const step of [
      /✔ Validate the job with AWS Import\/Export/,
      new RegExp(`✔ Partition ${disk.device} \\(new GPT, one partition\\)`),
      new RegExp(`✔ Make an ext4 filesystem on ${disk.device}p1`),
      /✔ Mount .* at /,
      /✔ Creating AWS backup job/,
      /✔ Storing AWS Signature on backup device/,
      /✔ Unmount /,
    ]) {
      expect(screen).toMatch(step);
    }
    expect(screen).not.toMatch(/[✖⊘↓]/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(screen).toMatch(/^Job created, id: \w+$/m);
    expect(screen).not.toContain(TRUECRYPT_PASSWORD);
    expect(mountsOfLoop(disk.device)).toEqual([]);
  });

  it('create-job refused by the service: ✖ on validation with its reason, the device never touched', async () => {
    const manifest = join(fx.sandbox.dir, 'no-bucket.yml');
    await writeFile(manifest, (await readFile(join(manifests, 'export.yml'), 'utf8')).replace('exportBucket: offsite-photos', 'exportBucket: offsite-nowhere'));
    const disk = makeLoopDisk(fx.sandbox.dir, 'refused', 64);
    disks.push(disk);
    const { tty, exitCode } = await start('refused', ['create-job', manifest, disk.device, '--yes']);
    expect(await exitCode()).not.toBe('0');
    const screen = await tty.screen();
    // A long reason wraps onto indented lines of its own.
    expect(screen.replace(/\n\s+/g, ' ')).toMatch(/✖ Validate the job with AWS Import\/Export .*: .*does not exist: offsite-nowhere\)/);
    for (const step of ['Make an ext4 filesystem', 'Mount the filesystem', 'Create the export job', 'Store the SIGNATURE on the device']) {
      expect(screen).toContain(`⊘ ${step}: not run`);
    }
    expect(screen).not.toMatch(/✔/);
    expect(screen).not.toContain(TRUECRYPT_PASSWORD);
  });

  it('get-status --watch: a row per state as the job enters it, the data transfer under the state that moves it', async () => {
    const jobId = fx.sandbox.snowball.addJob();
    const { tty, exitCode } = await start('watch', ['--service', 'snowball', 'get-status', jobId, '--watch', '--interval', '0.5']);
    // Live: earlier states done while a later one is the running row, the transfer's bytes under it.
    await tty.waitFor(new RegExp(`✔ ${jobId}: New\\n✔ ${jobId}: PreparingAppliance\\n`), 60_000);
    await tty.waitFor(/› [\d.]+ GiB \/ 5\.0 GiB/, 60_000);
    expect(await exitCode()).toBe('0');
    const screen = await tty.screen();
    const states = [...screen.matchAll(new RegExp(`^\\s*(.) ${jobId}: (\\w+)`, 'gm'))].map((m) => `${m[1]} ${m[2]}`);
    expect(states).toEqual(
      ['New', 'PreparingAppliance', 'InProgress', 'PreparingShipment', 'InTransitToCustomer', 'WithCustomer', 'InTransitToAWS', 'WithAWS', 'Complete'].map((s) => `✔ ${s}`),
    );
    expect(screen).toMatch(new RegExp(`✔ ${jobId}: Complete.*: success`));
    expect(screen).toMatch(/✔ Watch job .* until it is over/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(screen).toContain('State: Complete (final: success)');
  });
});
