import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffsiteEventSchema, type OffsiteEvent } from '../../../src/core/events.js';
import { repoRoot, runCli, type CliOptions, type CliRun } from '../../helpers/cli.js';
import { JOB_BUCKETS } from '../../sandbox/job-services.js';

export { KEY_ID, SECRET, OTHER_KEY_ID, OTHER_SECRET } from '../../sandbox/job-services.js';
/** The fixture manifest's trueCryptPassword: must never show up in any output. */
export const TRUECRYPT_PASSWORD = 'correct horse battery staple 42';
export const REGION = 'us-east-1';
export const BUCKETS = JOB_BUCKETS;

export const manifests = join(repoRoot, 'fixtures', 'manifests');

/** The seed-compatible binary (bin/s3export.js); runCli's type names only the first two binaries. */
export function s3export(args: string[], options: CliOptions): Promise<CliRun> {
  return runCli('s3export', args, options);
}

export function offsite(args: string[], options: CliOptions): Promise<CliRun> {
  return runCli('offsite', args, options);
}

/** Every stdout line of a --json run, each checked against the published event schema. */
export function jsonEvents(stdout: string): OffsiteEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => OffsiteEventSchema.parse(JSON.parse(line)));
}

export function sh(program: string, ...args: string[]): string {
  return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A sparse backing file on a loop device (no partition scanning, like most USB disks before a table exists). */
export interface LoopDisk {
  image: string;
  device: string;
  /** Detaches it (and drops partitions partx added); unmounts anything of it first. */
  destroy(): void;
}

export function makeLoopDisk(dir: string, name: string, sizeMiB: number): LoopDisk {
  const image = join(dir, `${name}.img`);
  sh('truncate', '-s', `${sizeMiB}M`, image);
  const device = attachWritable(image);
  return {
    image,
    device,
    destroy() {
      for (const target of mountsOfLoop(device).reverse()) quietly('umount', '-l', target);
      quietly('partx', '-d', device);
      quietly('losetup', '-d', device);
    },
  };
}

/**
 * losetup --find --show, made sure to be writable: on this shared machine a free loop device can carry a stale
 * read-only flag from an earlier user, and losetup then binds our image read-only. Clear it and bind again.
 */
function attachWritable(image: string): string {
  for (let attempt = 1; ; attempt++) {
    const device = sh('losetup', '--find', '--show', image).trim();
    if (readFileSync(`/sys/block/${device.slice('/dev/'.length)}/ro`, 'utf8').trim() === '0') return device;
    sh('losetup', '-d', device);
    if (attempt === 3) throw new Error(`${device} stays read-only after losetup`);
    sh('blockdev', '--setrw', device);
  }
}

function quietly(program: string, ...args: string[]): void {
  try {
    execFileSync(program, args, { stdio: 'ignore' });
  } catch {
    // best effort: the test itself reports what it found
  }
}

/** Mount points whose source is this loop device or one of its partitions. */
export function mountsOfLoop(device: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([source]) => source === device || source?.startsWith(`${device}p`))
    .map(([, target]) => target!);
}
