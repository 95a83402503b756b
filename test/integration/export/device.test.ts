import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importExportService } from '../../../src/core/export/importexport.js';
import { readManifest } from '../../../src/core/export/manifest.js';
import { runCreateJob } from '../../../src/core/export/create-job.js';
import { systemDisks } from '../../../src/core/export/device.js';
import type { OffsiteEvent } from '../../../src/core/events.js';
import { makeEmitter } from '../../../src/core/events.js';
import { RunLedger, listRuns, outstanding, parseLedger } from '../../../src/core/ledger/ledger.js';
import { repoRoot } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { shellQuote } from '../../sandbox/sandbox.js';
import {
  KEY_ID,
  SECRET,
  TRUECRYPT_PASSWORD,
  makeLoopDisk,
  manifests,
  mountsOfLoop,
  s3export,
  sh,
  sha256File,
  type LoopDisk,
} from './helpers.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { isolatedEnv } from '../../helpers/cli.js';
import { startJobServicesSandbox } from '../../sandbox/job-services.js';

const fx = useSandbox('export-device', { jobServicesOnly: { importExport: { createDelayMs: 0 } } });
let tmp: string;
let env: Record<string, string | undefined>;
const disks: LoopDisk[] = [];
const manifest = join(manifests, 'export.yml');

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('device tests need root (loop devices, mkfs, mount)');
  tmp = join(fx.sandbox.dir, 'tmp');
  await mkdir(tmp);
  env = { ...fx.env, TMPDIR: tmp }; // where create-job makes its private mount directory
});

afterAll(async () => {
  for (const disk of disks) disk.destroy();
});

function loopDisk(name: string, sizeMiB = 64): LoopDisk {
  const disk = makeLoopDisk(fx.sandbox.dir, name, sizeMiB);
  disks.push(disk);
  return disk;
}

/** Some recognisable bytes on the disk, so "unchanged" means something. */
async function scribble(disk: LoopDisk): Promise<void> {
  const handle = await open(disk.device, 'r+');
  for (const offset of [0, 4096, 1024 * 1024, 63 * 1024 * 1024]) await handle.write(pseudoRandom(4096, offset + 1), 0, 4096, offset);
  await handle.sync();
  await handle.close();
}

/** Reads SIGNATURE from a filesystem, mounting it read-only for the look. */
async function signatureOn(partition: string): Promise<string> {
  const at = join(fx.sandbox.dir, `look-${partition.replace(/\W/g, '')}`);
  await mkdir(at, { recursive: true });
  sh('mount', '-o', 'ro', partition, at);
  try {
    return await readFile(join(at, 'SIGNATURE'), 'utf8');
  } finally {
    sh('umount', at);
  }
}

function jobIdFrom(stdout: string): string {
  const id = /^Job created, id: ([A-Z0-9]{5})$/m.exec(stdout)?.[1];
  if (!id) throw new Error(`no job id in ${JSON.stringify(stdout)}`);
  return id;
}

/** A refusal: exit 2, exactly `lastLine` as the last line, the device's bytes as they were, and (`sent` false) no request. */
async function expectRefusedUntouched(disk: LoopDisk, args: string[], lastLine: string, sent = false): Promise<void> {
  const before = await sha256File(disk.device);
  const calls = fx.sandbox.importExport.calls.length;
  const run = await s3export(['create-job', ...args], { env });
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr.trim().split('\n').at(-1)).toBe(lastLine);
  if (!sent) expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(await sha256File(disk.device)).toBe(before);
  if (!sent) expect(fx.sandbox.importExport.calls.length).toBe(calls);
}

/** s3export on a pseudo-terminal (util-linux `script`), typing `answer` once when the confirmation prompt shows. */
function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  // A wide terminal, so the prompt is one line whatever the device's name.
  const command = `stty cols 250; ${[process.execPath, join(repoRoot, 'bin', 's3export.js'), ...args].map(shellQuote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no answer from s3export on a terminal: ${output}`));
    }, 600_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (!answered && output.includes('to continue')) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') });
    });
  });
}

/**
 * What partitioning or formatting would change on a device: the MBR and GPT header (the first KiB, which ext4
 * never writes), the backup GPT (the last MiB) and the filesystem's UUID and type.
 */
async function formatEvidence(device: string): Promise<{ head: string; tail: string; identity: string }> {
  const size = Number(sh('blockdev', '--getsize64', device).trim());
  const handle = await open(device, 'r');
  try {
    const read = async (offset: number, length: number): Promise<string> => {
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, offset);
      return createHash('sha256').update(buffer).digest('hex');
    };
    return {
      head: await read(0, 1024),
      tail: await read(size - 1024 * 1024, 1024 * 1024),
      identity: sh('blkid', '-p', '-o', 'export', device).split('\n').filter((line) => /^(UUID|TYPE|PTTYPE)=/.test(line)).join(' '),
    };
  } finally {
    await handle.close();
  }
}

async function expectNothingLeft(disk: LoopDisk): Promise<void> {
  expect(mountsOfLoop(disk.device)).toEqual([]);
  expect(await readdir(tmp)).toEqual([]);
}

describe('create-job prepares a real device', () => {
  it('a whole disk gets a GPT with one partition (loopNp1), ext4 -m 0, and the SIGNATURE at its root', async () => {
    const disk = loopDisk('whole');
    await scribble(disk);
    const run = await s3export(['create-job', manifest, disk.device, '--yes', '--non-interactive'], { env });
    expect(run.code, run.stderr).toBe(0);
    const jobId = jobIdFrom(run.stdout);
    expect(run.stderr).not.toContain(TRUECRYPT_PASSWORD);

    const table = sh('sgdisk', '-p', disk.device);
    expect(table).toMatch(/Partition table holds up to 128 entries/);
    const partitions = table.split('\n').filter((line) => /^\s+\d+\s+\d+\s+\d+/.test(line));
    expect(partitions).toHaveLength(1);
    expect(partitions[0]).toMatch(/^\s+1\s+2048\s+131038\s/);
    const part = `${disk.device}p1`;
    expect(sh('blkid', '-p', '-o', 'value', '-s', 'TYPE', part).trim()).toBe('ext4');
    expect(sh('tune2fs', '-l', part)).toMatch(/^Reserved block count:\s+0$/m);

    const signature = await signatureOn(part);
    expect(signature).toBe(fx.sandbox.importExport.jobs.get(jobId)!.signatureFileContents);
    expect(signature).toMatch(new RegExp(`^version:2\\.0\\nsigningMethod:HmacSHA1\\njobId:${jobId}\\nsignature:`));
    // Validated first, then created: the disk was erased only for a job the service accepted.
    const creates = fx.sandbox.importExport.calls.filter((c) => c.operation === 'CreateJob').slice(-2);
    expect(creates.map((c) => c.params.ValidateOnly)).toEqual(['true', 'false']);
    await expectNothingLeft(disk);

    // The run's ledger: every mount, directory and job recorded, and each one released or handed over.
    const runs = await listRuns(join(fx.sandbox.dir, 'state'));
    const entries = parseLedger(await readFile(join(fx.sandbox.dir, 'state', 'runs', `${runs.at(-1)}.jsonl`), 'utf8'));
    expect(entries.filter((e) => e.op === 'created').map((e) => e.kind)).toEqual(['temp-dir', 'mount', 'export-job']);
    expect(entries.find((e) => e.kind === 'export-job' && e.op === 'released')?.action).toBe('kept');
    expect(outstanding(entries)).toEqual([]);
  });

  it('--dry-run validates with ValidateOnly and leaves every byte of the device as it was', async () => {
    const disk = loopDisk('dry');
    await scribble(disk);
    const before = await sha256File(disk.device);
    const jobs = fx.sandbox.importExport.jobs.size;
    const run = await s3export(['create-job', manifest, disk.device, '--dry-run'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`Manifest is valid: ${manifest} (dry run: no job created, ${disk.device} not touched)\n`);
    expect(fx.sandbox.importExport.calls.at(-1)!.params.ValidateOnly).toBe('true');
    expect(fx.sandbox.importExport.jobs.size).toBe(jobs);
    expect(await sha256File(disk.device)).toBe(before);
    expect(await sha256File(disk.image)).toBe(before);
    await expectNothingLeft(disk);
  });

  it('a mounted device is refused, in one line, untouched', async () => {
    const disk = loopDisk('mounted');
    sh('mkfs.ext4', '-q', disk.device);
    const at = join(fx.sandbox.dir, 'mounted-here');
    await mkdir(at);
    sh('mount', disk.device, at);
    await writeFile(join(at, 'precious'), pseudoRandom(200_000, 9));
    // The kernel rewrites a mounted ext4's superblock on its own, so "untouched" is judged by what a format or a
    // partitioning would destroy: the regions a GPT occupies, the filesystem's identity and the files on it.
    const before = await formatEvidence(disk.device);
    try {
      sh('sync', '-f', at);
      const calls = fx.sandbox.importExport.calls.length;
      const run = await s3export(['create-job', manifest, disk.device, '--yes'], { env });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toBe(`s3export: ${disk.device} is mounted at ${at}; unmount it first, or pass --skip-format to use it as it is\n`);
      expect(fx.sandbox.importExport.calls.length).toBe(calls);
    } finally {
      sh('umount', at);
    }
    expect(await formatEvidence(disk.device)).toEqual(before);
    sh('e2fsck', '-fn', disk.device);
    sh('mount', '-o', 'ro', disk.device, at);
    try {
      expect(await readFile(join(at, 'precious'))).toEqual(pseudoRandom(200_000, 9));
    } finally {
      sh('umount', at);
    }
  });

  it('without --yes a non-interactive run refuses before anything is touched or sent', async () => {
    const disk = loopDisk('unconfirmed');
    await scribble(disk);
    await expectRefusedUntouched(disk, [manifest, disk.device, '--non-interactive'], `s3export: create-job erases ${disk.device}; confirm by typing the device name when asked, or pass --yes`);
  });

  it('interactive: erasing waits for the operator to type the device name', async () => {
    const disk = loopDisk('asked');
    await scribble(disk);
    const before = await sha256File(disk.device);
    const wrong = await onTerminal(['create-job', manifest, disk.device], 'sdb');
    expect(wrong.output).toContain(`create-job erases everything on ${disk.device} (64.0 MiB). Type ${disk.device.slice(5)} to continue:`);
    expect(wrong.code, wrong.output).toBe(2);
    expect(wrong.output).toContain(`s3export: confirmation 'sdb' does not match ${disk.device.slice(5)}; nothing was changed`);
    expect(await sha256File(disk.device)).toBe(before);
    const right = await onTerminal(['create-job', manifest, disk.device], disk.device.slice(5));
    expect(right.code, right.output).toBe(0);
    expect(right.output).toMatch(/Job created, id: [A-Z0-9]{5}/);
    await expectNothingLeft(disk);
  });

  it('the system disk is refused (asked under --dry-run, so nothing could be written even if the check were wrong)', async () => {
    const system = [...(await systemDisks())];
    expect(system.length, 'no block device found under / on this machine').toBeGreaterThan(0);
    const run = await s3export(['create-job', manifest, `/dev/${system[0]}`, '--dry-run', '--yes'], { env });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toBe(`s3export: /dev/${system[0]} is on the system disk ${system[0]}; refusing to use it for an export\n`);
  });

  it('a partition is formatted in place: the partition table stays as it was', async () => {
    const disk = loopDisk('parted');
    sh('sgdisk', '-o', '-n', '1:2048:+20M', '-n', '2:0:0', disk.device);
    sh('partx', '-a', disk.device);
    const tableBefore = sh('sgdisk', '-p', disk.device).replace(/^Disk identifier.*$/m, '');
    const run = await s3export(['create-job', manifest, `${disk.device}p2`, '--yes'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(sh('sgdisk', '-p', disk.device).replace(/^Disk identifier.*$/m, '')).toBe(tableBefore);
    expect(sh('blkid', '-p', '-o', 'value', '-s', 'TYPE', `${disk.device}p2`).trim()).toBe('ext4');
    expect(await signatureOn(`${disk.device}p2`)).toContain(`jobId:${jobIdFrom(run.stdout)}\n`);
    await expectNothingLeft(disk);
  });

  it('--skip-format keeps the filesystem (same UUID) and, when it is mounted, uses that mount and leaves it', async () => {
    const disk = loopDisk('keep');
    sh('mkfs.ext4', '-q', '-L', 'mine', disk.device);
    const uuid = sh('blkid', '-p', '-o', 'value', '-s', 'UUID', disk.device).trim();
    const run = await s3export(['create-job', manifest, disk.device, '--skip-format'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(sh('blkid', '-p', '-o', 'value', '-s', 'UUID', disk.device).trim()).toBe(uuid);
    expect(await signatureOn(disk.device)).toContain(`jobId:${jobIdFrom(run.stdout)}\n`);
    await expectNothingLeft(disk);

    const at = join(fx.sandbox.dir, 'keep-mounted');
    await mkdir(at);
    sh('mount', disk.device, at);
    try {
      const again = await s3export(['create-job', manifest, disk.device, '--skip-format'], { env });
      expect(again.code, again.stderr).toBe(0);
      expect(await readFile(join(at, 'SIGNATURE'), 'utf8')).toContain(`jobId:${jobIdFrom(again.stdout)}\n`);
      expect(mountsOfLoop(disk.device)).toEqual([at]);
    } finally {
      sh('umount', at);
    }
  });

  it('a manifest the service refuses costs no disk: refused at ValidateOnly, device untouched', async () => {
    const disk = loopDisk('refused');
    await scribble(disk);
    const bad = join(fx.sandbox.dir, 'no-such-bucket.yml');
    await writeFile(bad, (await readFile(manifest, 'utf8')).replace('exportBucket: offsite-docs', 'exportBucket: no-such-bucket'));
    await expectRefusedUntouched(
      disk,
      [bad, disk.device, '--yes'],
      's3export: validating the job: a bucket named in the manifest does not exist (NoSuchBucketException: The specified bucket does not exist: no-such-bucket)',
      true,
    );
    await expectNothingLeft(disk);
  });
});

describe('faults during create-job leave nothing behind', () => {
  it('the SIGNATURE cannot be written (the filesystem went read-only): the job is cancelled, the mount and directory are gone', async () => {
    const disk = loopDisk('readonly');
    const real = importExportService({ endpoint: fx.sandbox.importExport.endpoint, credentials: async () => ({ accessKeyId: KEY_ID, secretAccessKey: SECRET }) });
    let createdId = '';
    const service = {
      ...real,
      async createJob(...args: Parameters<typeof real.createJob>) {
        const job = await real.createJob(...args);
        createdId = job.jobId;
        // ext4's errors=remount-ro, the hard way: the mount we are about to write to turns read-only.
        for (const target of mountsOfLoop(disk.device)) execFileSync('mount', ['-o', 'remount,ro', target]);
        return job;
      },
    };
    const events: OffsiteEvent[] = [];
    const ledger = await RunLedger.open(`test-readonly-${Date.now()}`, join(fx.sandbox.dir, 'state'));
    const plan = { service: 'importexport' as const, manifest: await readManifest(manifest), device: disk.device, skipFormat: false, dryRun: false, confirmed: true, snowball: {} };
    const failure = await runCreateJob(plan, { service, ledger, tmpDir: tmp }, { signal: new AbortController().signal, emit: makeEmitter((e) => events.push(e)) }).catch(
      (e: unknown) => e as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/EROFS|read-only/);
    expect(createdId).not.toBe('');
    expect(fx.sandbox.importExport.jobs.get(createdId)!.cancelled).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ type: 'resource-released', kind: 'export-job', id: createdId, action: 'terminated' }));
    expect(outstanding(await ledger.entries())).toEqual([]);
    await expectNothingLeft(disk);
  });

  it('Ctrl-C while CreateJob is in flight: exit 130, unmounted, directory removed, the possible job named', async () => {
    const slow = await startJobServicesSandbox({ importExport: { createDelayMs: 20_000 } });
    try {
      const disk = loopDisk('interrupted');
      const run = await s3export(['create-job', manifest, disk.device, '--yes', '--verbose'], {
        env: { ...isolatedEnv(slow.env), TMPDIR: tmp },
        onStderrLine: (line, child) => {
          // Interrupt once the service holds the CreateJob request (it answers only after 20 s).
          if (line !== '> Creating AWS backup job') return;
          const inFlight = () => slow.importExport.calls.some((c) => c.operation === 'CreateJob' && c.params.ValidateOnly === 'false');
          void waitFor(inFlight, 'CreateJob to reach the service').then(() => child.kill('SIGINT'));
        },
        timeoutMs: 60_000,
      });
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toMatch(/left behind: a job whose CreateJob was interrupted \(check list-jobs\)/);
      expect(run.stderr.trim().split('\n').at(-1)).toBe('s3export: interrupted');
      await expectNothingLeft(disk);
    } finally {
      await slow.stop();
    }
  });
});
