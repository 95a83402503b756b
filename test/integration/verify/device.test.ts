import type { S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceStack } from '../../../src/core/archive/resources.js';
import { OffsiteEventSchema, makeEmitter, type OffsiteEvent } from '../../../src/core/events.js';
import type { HostCommands } from '../../../src/core/verify/host-commands.js';
import { openTrueCrypt } from '../../../src/core/verify/open-source.js';
import { mountedUnder, sh } from '../archive/loop-fs.js';
import { runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket } from '../s3/helpers.js';
import { checksummingClient, putObject, reportOf, verdicts } from './helpers.js';

const BUCKET = 'export-bucket';

const fx = useSandbox('verify-device');
let s3: S3Client;
let disk: string;
const loops: string[] = [];

/** Files laid out as AWS exports them: key k of bucket b at /b/k on the disk. */
const FILES: Record<string, Buffer> = {
  'docs/readme.txt': Buffer.from('what AWS copied onto the disk\n'),
  'docs/nested/deep.bin': pseudoRandom(200_000, 31),
  'photos/ünïcødé ☃.jpg': pseudoRandom(90_000, 32),
  'bad-sector.bin': pseudoRandom(100_000, 33),
};

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** An ext4 filesystem image holding `tree`, with one file's inode damaged the way a failing disk would: unreadable. */
async function filesystemImage(dir: string, tree: string, damaged?: string): Promise<string> {
  const image = join(dir, 'fs.img');
  sh('truncate', '-s', '24M', image);
  sh('mkfs.ext4', '-q', '-F', '-d', tree, image);
  // Zero the extent header in the inode: reads fail with EUCLEAN ("Structure needs cleaning"), the listing still names it.
  if (damaged) sh('debugfs', '-w', '-R', `set_inode_field /${damaged} block[0] 0`, image);
  return image;
}

/**
 * A GPT disk image with that filesystem in partition 1, then grown: the backup header is no longer at the end,
 * as when an export image lands on a larger disk; the kernel then ignores the partition table.
 */
async function gptDisk(path: string, fsImage: string): Promise<void> {
  sh('truncate', '-s', '32M', path);
  sh('sgdisk', '-o', path);
  sh('sgdisk', '-n', '1:2048:+24M', path);
  sh('dd', `if=${fsImage}`, `of=${path}`, 'bs=1M', 'seek=1', 'conv=notrunc', 'status=none');
  sh('truncate', '-s', '48M', path);
}

function noVerifyMounts(): void {
  expect(mountedUnder(tmpdir()).filter((m) => m.includes('offsite-verify-'))).toEqual([]);
}

/**
 * Partitions that partx added to a loop device without partscan outlive `losetup -d` (the kernel drops only
 * partitions it scanned itself), and the next user of that loop device would see them: delete them first.
 */
function releaseLoop(loop: string): void {
  execFileSync('partx', ['-d', loop], { stdio: 'ignore' });
  execFileSync('losetup', ['-d', loop], { stdio: 'ignore' });
  loops.splice(loops.indexOf(loop), 1);
}

function loopsOn(file: string): string {
  return sh('losetup', '--associated', file).trim();
}

beforeAll(async () => {
  s3 = checksummingClient(fx.sandbox);
  await createBucket(s3, BUCKET);
  const stage = join(fx.work, 'stage');
  for (const [path, data] of Object.entries(FILES)) {
    await mkdir(dirname(join(stage, BUCKET, path)), { recursive: true });
    await writeFile(join(stage, BUCKET, path), data);
    await putObject(s3, BUCKET, path, data, { algorithm: 'CRC32' });
  }
  disk = join(fx.work, 'disk.img');
  await gptDisk(disk, await filesystemImage(fx.work, stage, `${BUCKET}/bad-sector.bin`));
});

afterAll(async () => {
  for (const loop of loops) releaseLoop(loop);
  s3?.destroy();
});

const EXPECTED = { 'docs/readme.txt': 'match', 'docs/nested/deep.bin': 'match', 'photos/ünïcødé ☃.jpg': 'match', 'bad-sector.bin': 'unreadable' };

describe('offsite verify of a returned disk', () => {
  it('reads a disk image through a read-only loop device, never writing to it; a damaged file is unreadable (exit 3)', async () => {
    const before = await sha256File(disk);
    const result = await runCli('offsite', ['verify', disk, '--bucket', `s3://${BUCKET}`, '--all', '--json', '--verbose'], { env: fx.env });
    for (const line of result.stdout.trim().split('\n')) expect(OffsiteEventSchema.safeParse(JSON.parse(line)).success, line).toBe(true);
    const report = reportOf(result.stdout);
    expect(verdicts(report)).toEqual(EXPECTED);
    expect(report.files.find((f) => f.path === 'bad-sector.bin')).toMatchObject({ side: 'local', reason: expect.stringMatching(/EUCLEAN/) });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/reading partition 1 through a read-only loop device/);
    expect(await sha256File(disk)).toBe(before);
    expect(loopsOn(disk)).toBe('');
    noVerifyMounts();
  });

  it('repairs a device\'s moved GPT backup header (saying so first), as the original did, then verifies', async () => {
    const copy = join(fx.work, 'returned.img');
    await copyFile(disk, copy);
    const device = sh('losetup', '--find', '--show', copy).trim();
    loops.push(device);
    try {
      expect(sh('sgdisk', '-v', device)).toMatch(/secondary header's self-pointer/);
      expect(sh('lsblk', '--noheadings', '--output', 'TYPE', device).trim()).toBe('loop'); // no partition seen
      const result = await runCli('offsite', ['verify', device, '--bucket', `s3://${BUCKET}`, '--all'], { env: fx.env });
      expect(result.stderr).toMatch(/warning: .*GPT backup header is not at the end of the disk.*sgdisk --move-second-header/);
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/^! bad-sector\.bin \[local\]: Structure needs cleaning \(EUCLEAN\)$/m);
      expect(result.stdout.trim().split('\n').at(-1)).toBe('Assertions run: 7, succeeded: 6, failed: 1');
      expect(sh('sgdisk', '-v', device)).not.toMatch(/secondary header's self-pointer/);
      noVerifyMounts();
    } finally {
      releaseLoop(device);
    }
  });

  it('takes the export from --target-directory, and says so when the disk has no such directory', async () => {
    const result = await runCli('offsite', ['verify', disk, '--bucket', `s3://${BUCKET}/docs`, '--target-directory', `${BUCKET}/docs`, '--json'], { env: fx.env });
    expect(result.code).toBe(0);
    expect(verdicts(reportOf(result.stdout))).toEqual({ 'readme.txt': 'match', 'nested/deep.bin': 'match' });
    const missing = await runCli('offsite', ['verify', disk, '--bucket', `s3://${BUCKET}`, '--target-directory', 'elsewhere', '--quiet'], { env: fx.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`offsite: ${disk} has no directory 'elsewhere' at its root\n`);
    expect(loopsOn(disk)).toBe('');
    noVerifyMounts();
  });

  it('says in one line that a TrueCrypt container cannot be opened on a kernel without device-mapper', async () => {
    expect(await readFile('/proc/misc', 'utf8')).not.toMatch(/device-mapper/);
    const stage = join(fx.work, 'tc-stage');
    await mkdir(stage);
    await writeFile(join(stage, 'export.tc'), pseudoRandom(64 * 1024, 40));
    const image = join(fx.work, 'tc-disk.img');
    sh('truncate', '-s', `${8}M`, image);
    sh('mkfs.ext4', '-q', '-F', '-d', stage, image);
    const result = await runCli('offsite', ['verify', image, '--bucket', `s3://${BUCKET}`, '--quiet'], { env: { ...fx.env, OFFSITE_TRUECRYPT_PASSWORD: 'correct horse' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`offsite: export.tc on ${image} is a TrueCrypt container, but this kernel has no device-mapper, which cryptsetup needs to open it\n`);
    expect(result.stdout + result.stderr).not.toContain('correct horse');
    expect(loopsOn(image)).toBe('');
    noVerifyMounts();
  });
});

/** Records commands; answers /proc/misc as a kernel with device-mapper would, and cryptsetup as told. */
function recorder(cryptsetupCode: number): HostCommands & { log: { argv: string[]; stdin?: string }[] } {
  const log: { argv: string[]; stdin?: string }[] = [];
  return {
    log,
    run: async (argv, options) => {
      log.push({ argv: [...argv], ...(options?.stdin !== undefined ? { stdin: options.stdin } : {}) });
      const failing = argv[0] === 'cryptsetup' && argv[1] === 'open' && cryptsetupCode !== 0;
      return { code: failing ? cryptsetupCode : 0, stdout: '', stderr: failing ? 'No key available with this passphrase.\n' : '' };
    },
    readText: async (path) => (path === '/proc/misc' ? '236 device-mapper\n237 loop-control\n' : undefined),
  };
}

describe('the TrueCrypt command plan (device-mapper cannot run here)', () => {
  async function open(code: number) {
    const commands = recorder(code);
    const events: OffsiteEvent[] = [];
    const emit = makeEmitter((e) => events.push(e));
    const stack = new ResourceStack(emit, undefined, false);
    const outcome = await openTrueCrypt('/mnt/disk/export.tc', {
      commands,
      stack,
      emit,
      signal: new AbortController().signal,
      runId: 'run-1',
      bucket: BUCKET,
      truecryptPassword: async () => 'correct horse',
    }).then(
      (device) => ({ device, error: undefined }),
      (error: Error) => ({ device: undefined, error }),
    );
    await stack.releaseAll(undefined);
    return { ...outcome, commands, events };
  }

  it('opens the container read-only with the password on stdin, never in an argument, and closes it', async () => {
    const { device, error, commands, events } = await open(0);
    expect(error).toBeUndefined();
    expect(device).toBe('/dev/mapper/offsite-verify-run-1');
    expect(commands.log).toEqual([
      { argv: ['cryptsetup', 'open', '--type', 'tcrypt', '--readonly', '/mnt/disk/export.tc', 'offsite-verify-run-1'], stdin: 'correct horse\n' },
      { argv: ['cryptsetup', 'close', 'offsite-verify-run-1'] },
    ]);
    expect(JSON.stringify(events)).not.toContain('correct horse');
  });

  it('a wrong password: one line, nothing held', async () => {
    const { error, commands } = await open(2);
    expect(error?.message).toBe('cryptsetup could not open /mnt/disk/export.tc: No key available with this passphrase.');
    expect(commands.log.map((entry) => entry.argv[1])).toEqual(['open']);
  });
});

