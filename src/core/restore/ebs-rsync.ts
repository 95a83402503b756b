import type { EventInput } from '../events.js';
import { OffsiteError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { ProgressMeter } from '../progress.js';
import { RSYNC_HOST, runRsync } from '../ebs/rsync-transfer.js';
import type { BulkTransport } from '../../ssh/bulk-transport.js';

type Rsh = { command: string; rsyncPath?: string };

/**
 * Pull from the read-only mount: links, hard links, ACLs, xattrs, numeric owners, holes. lost+found belongs to
 * the volume's filesystem, not to the backup. --include becomes a NUL-separated --files-from list (no pattern
 * escaping to get wrong); with a list rsync needs -r spelled out.
 */
export function pullArgs(mountPoint: string, staging: string, rsh: Rsh, include: string[], extra: string[] = []): string[] {
  return [
    ...(rsh.rsyncPath ? [`--rsync-path=${rsh.rsyncPath}`] : []),
    '-aHAX',
    '--numeric-ids',
    '--sparse',
    '--exclude=/lost+found',
    ...(include.length > 0 ? ['--recursive', '--from0', '--files-from=-'] : []),
    ...extra,
    '--rsh',
    rsh.command,
    `${RSYNC_HOST}:${mountPoint.replace(/\/+$/, '')}/`,
    `${staging.replace(/\/+$/, '')}/`,
  ];
}

/**
 * Copies the mirror into staging, then proves it: a second rsync compares every file's content by checksum
 * (-c) without changing anything (-n) and itemizes what differs; any line is a difference (exit 3).
 */
export async function pullMirror(options: {
  transport: BulkTransport;
  mountPoint: string;
  staging: string;
  include: string[];
  emit: (event: EventInput) => void;
  signal: AbortSignal;
  dryRun: boolean;
  /** Wraps each pass in its phase: `restore` (the copy or the dry-run listing), `verify` (the checksum proof). */
  phase: <T>(id: string, title: string, work: () => Promise<T>) => Promise<T>;
}): Promise<{ bytes: number; listing?: string[] }> {
  const { transport, mountPoint, staging, include, emit, signal, phase } = options;
  const stdin = include.length > 0 ? include.map((p) => `${p}\0`).join('') : undefined;
  const endpoint = await transport.rsh({ signal });
  try {
    const run = (phase: string, extra: string[]): Promise<{ bytes: number; out: string }> => {
      let out = '';
      const meter = new ProgressMeter(phase, emit, undefined);
      return runRsync(pullArgs(mountPoint, staging, endpoint, include, extra), {
        meter,
        emit,
        signal,
        remoteStderr: endpoint.remoteStderr,
        onLine: (line) => (out += `${line}\n`),
        ...(stdin !== undefined ? { stdin } : {}),
      }).then((r) => ({ ...r, out }));
    };
    if (options.dryRun) {
      const listed = await phase('restore', 'List what rsync would restore', () => run('rsync', ['--dry-run', '--out-format=%n', '--8-bit-output']));
      return { bytes: 0, listing: listed.out.split('\n').filter((l) => l && l !== './').map((l) => l.replace(/\/$/, '')) };
    }
    const copied = await phase('restore', 'rsync the mirror into staging', () => run('rsync', ['--info=progress2', '--no-inc-recursive']));
    const check = await phase('verify', 'Compare every file with the volume by checksum (rsync -c)', () =>
      run('verify', ['--dry-run', '--checksum', '--itemize-changes', '--out-format=%i %n', '--8-bit-output']),
    );
    const differences = check.out.split('\n').filter((l) => /^[<>ch.*][fdLDS]/.test(l) && !/^\.d/.test(l));
    if (differences.length > 0) {
      throw new OffsiteError(`the restored copy differs from the volume in ${differences.length} place(s), first: ${differences[0]}; nothing was written into the target`, ExitCode.differences);
    }
    return { bytes: copied.bytes };
  } finally {
    await endpoint.close();
  }
}
