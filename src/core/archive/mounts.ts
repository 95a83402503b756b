import { OffsiteError } from '../../errors.js';
import type { Held } from './resources.js';
import type { Shell } from './shell.js';

export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  options: string;
}

/** /proc/mounts, with its octal escapes (\040 for a space) decoded. */
export function parseMounts(text: string): MountEntry[] {
  const decode = (field: string): string => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [source = '', target = '', fstype = '', options = ''] = line.split(' ');
      return { source: decode(source), target: decode(target), fstype, options };
    });
}

export async function readMounts(shell: Shell): Promise<MountEntry[]> {
  return parseMounts((await shell.runner.readText('/proc/mounts')) ?? '');
}

/** Mount points at or below `root`, in the order they must be unmounted (newest, and so innermost, first). */
export function mountsUnder(entries: MountEntry[], root: string): string[] {
  const inside = entries.map((e) => e.target).filter((t) => t === root || t.startsWith(`${root}/`));
  return [...new Set(inside.reverse())];
}

export interface UnmountPolicy {
  /** Attempts in all; the original gave up after 5 tries sleeping 1, 2, 4, 8, 16 s (≈ 31 s). */
  attempts: number;
  firstWaitMs: number;
}

/** The same patience as the original, but the last wait is followed by one more try instead of giving up. */
export const DEFAULT_UNMOUNT: UnmountPolicy = { attempts: 6, firstWaitMs: 1_000 };

/**
 * `umount`, retried with exponential back-off while the mount is busy (a process still has a file open).
 * "not mounted" counts as done, as it did for the original.
 */
export async function unmountWithRetry(shell: Shell, mountPoint: string, signal?: AbortSignal, policy = DEFAULT_UNMOUNT): Promise<void> {
  let wait = policy.firstWaitMs;
  let last = '';
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    const result = await shell.probe({ argv: ['umount', mountPoint] }, signal);
    if (result.code === 0 || /not mounted|no mount point specified|mountpoint not found/i.test(result.stderr)) return;
    if (result.code === 127) throw new OffsiteError(`umount: command not found`);
    last = result.stderr.trim().split('\n').at(-1) ?? `exit ${result.code}`;
    if (attempt < policy.attempts) {
      await shell.runner.sleep(wait, signal);
      wait *= 2;
    }
  }
  throw new OffsiteError(`could not unmount ${mountPoint} after ${policy.attempts} tries: ${last}`);
}

/** `mount --bind -o ro`: the snapshot's view of a path from another filesystem, read-only. */
export async function bindMount(shell: Shell, source: string, target: string): Promise<void> {
  await shell.run({ argv: ['mount', '--bind', '-o', 'ro', source, target] });
}

/** A mount as something a run holds: released by unmounting it, with the retries above. */
export function heldMount(shell: Shell, mountPoint: string): Held {
  return {
    kind: 'mount',
    id: mountPoint,
    title: `Unmount ${mountPoint}`,
    release: async (signal) => {
      await unmountWithRetry(shell, mountPoint, signal);
      return 'unmounted';
    },
  };
}
