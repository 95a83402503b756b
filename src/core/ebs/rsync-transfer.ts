import { spawn } from 'node:child_process';
import type { EventInput } from '../events.js';
import { OffsiteError } from '../../errors.js';
import type { ProgressMeter } from '../progress.js';
import { abortReason, pollUntil } from '../../util/poll.js';
import type { BulkTransport } from '../../ssh/bulk-transport.js';
import { shellQuote } from '../../ssh/quote.js';
import type { SshSession } from '../../ssh/types.js';

export type DeviceContent = { kind: 'filesystem'; type: string } | { kind: 'blank' } | { kind: 'data' };

/**
 * What is on the device: a filesystem (blkid knows it), nothing (blkid finds no signature and the first MiB
 * is zeros), or unknown data — for example a dd backup — which we must never format over.
 */
export async function inspectDevice(session: SshSession, device: string, signal?: AbortSignal): Promise<DeviceContent> {
  const dev = shellQuote(device);
  const script = [
    `t=$(blkid -p -o value -s TYPE ${dev} 2>/dev/null); rc=$?`,
    'if [ -n "$t" ]; then echo "fs $t"; exit 0; fi',
    'if [ $rc -ne 2 ] && [ $rc -ne 0 ]; then echo "blkid-failed $rc"; exit 0; fi',
    `n=$(head -c 1048576 ${dev} | tr -d '\\000' | head -c 1 | wc -c)`,
    'if [ "$n" -eq 0 ]; then echo blank; else echo data; fi',
  ].join('\n');
  const result = await session.exec(`sh -c ${shellQuote(script)}`, { sudo: true, ...(signal ? { signal } : {}) });
  const out = result.stdout.trim();
  if (result.code !== 0 || out.startsWith('blkid-failed') || !out) {
    throw new OffsiteError(`could not inspect ${device} on the instance: ${result.stderr.trim().split('\n')[0] || out || `exit ${result.code}`}`);
  }
  if (out.startsWith('fs ')) return { kind: 'filesystem', type: out.slice(3) };
  return out === 'blank' ? { kind: 'blank' } : { kind: 'data' };
}

export async function makeFilesystem(session: SshSession, device: string, signal?: AbortSignal): Promise<void> {
  // -m 0: a backup volume needs no blocks reserved for root; lazy init keeps a new volume quick to format.
  const result = await session.exec(`mkfs.ext4 -q -F -m 0 -L offsite -E lazy_itable_init=1,lazy_journal_init=1 ${shellQuote(device)}`, {
    sudo: true,
    ...(signal ? { signal } : {}),
  });
  if (result.code !== 0) throw new OffsiteError(`mkfs.ext4 on the instance failed: ${result.stderr.trim().split('\n').pop() || `exit ${result.code}`}`);
}

export async function mountDevice(session: SshSession, device: string, mountPoint: string, signal?: AbortSignal): Promise<void> {
  const result = await session.exec(`sh -c ${shellQuote(`mkdir -p ${shellQuote(mountPoint)} && mount ${shellQuote(device)} ${shellQuote(mountPoint)}`)}`, {
    sudo: true,
    ...(signal ? { signal } : {}),
  });
  if (result.code !== 0) throw new OffsiteError(`mounting ${device} on the instance failed: ${result.stderr.trim().split('\n').pop() || `exit ${result.code}`}`);
}

/**
 * Unmounts, retrying while the filesystem is busy (a lingering rsync server), then removes the mount point.
 * umount writes the filesystem back itself; a `sync` before it would flush every filesystem on the instance.
 */
export async function unmountDevice(session: SshSession, mountPoint: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const mp = shellQuote(mountPoint);
  let last = '';
  await pollUntil(
    async () => {
      const result = await session.exec(`sh -c ${shellQuote(`if mountpoint -q ${mp}; then umount ${mp}; fi && rmdir ${mp} 2>/dev/null; ! mountpoint -q ${mp}`)}`, {
        sudo: true,
        ...(signal ? { signal } : {}),
      });
      last = result.stderr.trim().split('\n').pop() ?? '';
      return result.code === 0 ? true : undefined;
    },
    { timeoutMs, ...(signal ? { signal } : {}), minDelayMs: 500, maxDelayMs: 5_000, what: `unmounting ${mountPoint}${last ? ` (${last})` : ''}` },
  );
}

export async function ensureRemoteRsync(session: SshSession, signal?: AbortSignal): Promise<void> {
  const found = await session.exec('command -v rsync', signal ? { signal } : {});
  if (found.code === 0) return;
  const install = await session.exec(`sh -c ${shellQuote('command -v dnf >/dev/null && dnf -y -q install rsync || (apt-get -qq update && apt-get -qq -y install rsync)')}`, {
    sudo: true,
    ...(signal ? { signal } : {}),
  });
  if (install.code !== 0) throw new OffsiteError('rsync is not installed on the instance and could not be installed; use an image that has it', undefined, { advice: { remedy: 'imageId' } });
}

/** The host name rsync hands to its remote shell; the transport knows the real address. */
export const RSYNC_HOST = 'offsite-instance';

/** Mirror: links, hard links, permissions, ACLs, extended attributes, times, owners (numeric), deletions, holes; the volume's lost+found is kept. */
export function rsyncArgs(dir: string, mountPoint: string, rsh: { command: string; rsyncPath?: string }, bandwidthLimit?: number): string[] {
  return [
    ...(rsh.rsyncPath ? [`--rsync-path=${rsh.rsyncPath}`] : []),
    ...(bandwidthLimit ? [`--bwlimit=${Math.max(1, Math.floor(bandwidthLimit / 1024))}`] : []),
    '--archive',
    '--hard-links',
    '--acls',
    '--xattrs',
    '--numeric-ids',
    '--sparse',
    '--delete',
    '--filter=P /lost+found',
    '--info=progress2',
    '--no-inc-recursive',
    '--rsh',
    rsh.command,
    `${dir.replace(/\/+$/, '')}/`,
    `${RSYNC_HOST}:${mountPoint.replace(/\/+$/, '')}/`,
  ];
}

/** rsync's --info=progress2 line: "  1,234,567  45%   12.34MB/s    0:00:12 (xfr#3, to-chk=0/5)". */
export function parseRsyncProgress(line: string): { bytes: number; percent: number } | undefined {
  const match = /^\s*([\d,.]+)\s+(\d+)%/.exec(line);
  if (!match) return undefined;
  return { bytes: Number(match[1]!.replace(/[,.]/g, '')), percent: Number(match[2]) };
}

export async function rsyncTransfer(options: {
  transport: BulkTransport;
  dir: string;
  mountPoint: string;
  meter: ProgressMeter;
  emit: (event: EventInput) => void;
  signal: AbortSignal;
  bandwidthLimit?: number;
}): Promise<{ bytes: number }> {
  const { transport, dir, mountPoint, meter, emit, signal, bandwidthLimit } = options;
  const endpoint = await transport.rsh({ signal });
  try {
    return await runRsync(rsyncArgs(dir, mountPoint, endpoint, bandwidthLimit), { meter, emit, signal, remoteStderr: endpoint.remoteStderr });
  } finally {
    await endpoint.close();
  }
}

/**
 * Runs a local rsync with --info=progress2 and turns its progress lines into the meter's; exit 24 (files
 * vanished) is a warning, any other failure one line. Used both ways: backup (push) and restore (pull).
 */
export async function runRsync(
  args: string[],
  options: { meter: ProgressMeter; emit: (event: EventInput) => void; signal: AbortSignal; remoteStderr: () => string; stdin?: string; onLine?: (line: string) => void },
): Promise<{ bytes: number }> {
  const { meter, emit, signal } = options;
  const child = spawn('rsync', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined); // rsync that exits early: its own exit status says why
  child.stdin.end(options.stdin ?? '');
  const onAbort = (): void => {
    child.kill('SIGTERM');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let stderr = '';
  let bytes = 0;
  let pending = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    const lines = pending.split(/[\r\n]/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const progress = parseRsyncProgress(line);
      if (!progress) {
        if (line) options.onLine?.(line);
        continue;
      }
      bytes = progress.bytes;
      if (progress.percent > 0) meter.setTotal(Math.round((progress.bytes * 100) / progress.percent));
      meter.update(bytes);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => reject(new OffsiteError(`cannot run rsync: ${error.message}`)));
    child.on('close', (exitCode) => resolve(exitCode));
  });
  signal.removeEventListener('abort', onAbort);
  if (signal.aborted) throw abortReason(signal);
  const why = lastMeaningfulLine(options.remoteStderr() + stderr);
  if (code === 24) emit({ type: 'warning', message: `rsync: some files vanished while they were copied: ${why}` });
  else if (code !== 0) throw new OffsiteError(`rsync failed (exit ${code}): ${why || 'no message'}`);
  meter.finish();
  return { bytes };
}

function lastMeaningfulLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('rsync error:') && !l.startsWith('rsync: connection unexpectedly closed'));
  return lines[0] ?? text.trim().split('\n').pop() ?? '';
}
