import { spawn } from 'node:child_process';
import { OffsiteError } from '../../errors.js';
import { abortReason } from '../../util/poll.js';
import type { BulkTransport } from '../../ssh/bulk-transport.js';
import { rsyncArgs } from './rsync-transfer.js';

/**
 * rsync reads each file once and does not notice a file that grows or shrinks under it. A second, dry-run
 * pass right after the transfer compares sizes and times again: a file that would be sent again changed while
 * (or just after) it was copied. Files created meanwhile are not counted; they are simply not in this backup.
 */
export async function filesChangedDuringRsync(options: { transport: BulkTransport; dir: string; mountPoint: string; signal: AbortSignal }): Promise<string[]> {
  const { transport, dir, mountPoint, signal } = options;
  const endpoint = await transport.rsh({ signal });
  try {
    const args = rsyncArgs(dir, mountPoint, endpoint).filter((arg) => arg !== '--info=progress2');
    const child = spawn('rsync', ['--dry-run', '--out-format=%i %n', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = (): void => void child.kill('SIGTERM');
    signal.addEventListener('abort', onAbort, { once: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', (error) => reject(new OffsiteError(`cannot run rsync: ${error.message}`)));
      child.on('close', resolve);
    });
    signal.removeEventListener('abort', onAbort);
    if (signal.aborted) throw abortReason(signal);
    if (code !== 0 && code !== 24) throw new OffsiteError(`rsync could not re-check the copy (exit ${code}): ${(endpoint.remoteStderr() + stderr).trim().split('\n')[0] ?? ''}`);
    return changedInItemized(stdout);
  } finally {
    await endpoint.close();
  }
}

/** `<f.st......` lines (`>f` when local) of --itemize-changes: a regular file whose size or time no longer matches the copy. */
export function changedInItemized(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const match = /^[<>]f(\S{9}) (.+)$/.exec(line);
    if (!match || match[1]!.startsWith('+')) return [];
    return match[1]![1] === 's' || match[1]![2] === 't' ? [match[2]!] : [];
  });
}
