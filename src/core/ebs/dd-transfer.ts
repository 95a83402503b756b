import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EventInput } from '../events.js';
import { OffsiteError } from '../../errors.js';
import type { ProgressMeter } from '../progress.js';
import { throttleDelayMs } from '../../util/bandwidth.js';
import { abortReason } from '../../util/poll.js';
import { shellQuote } from '../../ssh/quote.js';
import { spawnStreamTap } from './stream-tap-process.js';
import { FLUSH_FAILED, READ_FAILED, parseReadBack, readBackScript, writeWithReadBackScript, type DeviceReadBack } from './read-back.js';
import type { BulkTransport } from '../../ssh/bulk-transport.js';
import type { RemoteProcess, SshSession } from '../../ssh/types.js';

export interface DdTransferResult {
  bytes: number;
  sha256: string;
  /** What the instance read back off the device (read-back.ts): its length and SHA-256. */
  readBack: DeviceReadBack;
  /** Files tar reported as changed (or shrunk, zero-padded) while it read them, as tar names them. */
  changed: string[];
}

/** GNU tar's complaints about a file that changed under it; it then exits 1. */
const CHANGED = /^tar: (.*): (?:file changed as we read it|File shrank by \d+ bytes?; padding with zeros|file changed size)$/;

export function changedFiles(tarStderr: string): string[] {
  return tarStderr.split('\n').flatMap((line) => {
    const match = CHANGED.exec(line.trim());
    return match ? [match[1]!] : [];
  });
}

/**
 * GNU tar of the directory's contents; --sparse keeps holes out of the stream, --numeric-owner keeps ids exact, and
 * POSIX ACLs and every extended attribute go with their files, as rsync's --acls --xattrs carry them.
 */
export function tarArgs(dir: string): string[] {
  return ['--create', '--file=-', '--sparse', '--numeric-owner', '--acls', '--xattrs', '--xattrs-include=*', '--directory', dir, '.'];
}

/**
 * Streams `tar` of the directory straight into `dd` on the raw device: no local archive, no filesystem.
 * The stream's SHA-256 is computed as it passes; the instance reads each segment back off the device as the next
 * one is written and hashes the image it read (read-back.ts), and the caller holds the two together.
 */
export async function ddTransfer(options: {
  transport: BulkTransport;
  dir: string;
  device: string;
  meter: ProgressMeter;
  emit: (event: EventInput) => void;
  signal: AbortSignal;
  /** Bytes per second, or undefined for no limit. */
  bandwidthLimit?: number;
}): Promise<DdTransferResult> {
  const { transport, dir, device, meter, signal, bandwidthLimit } = options;
  const tar = spawn('tar', tarArgs(dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  const tarExit = new Promise<number | null>((resolve, reject) => {
    tar.on('error', (error) => reject(new OffsiteError(`cannot run tar: ${error.message}`)));
    tar.on('close', (code) => resolve(code));
  });
  let tarStderr = '';
  tar.stderr.setEncoding('utf8').on('data', (text: string) => (tarStderr += text));

  const remote = transport.spawn(`sh -c ${shellQuote(writeWithReadBackScript(device))}`, { signal, sudo: true });
  let ddStderr = '';
  remote.stderr.setEncoding('utf8').on('data', (text: string) => (ddStderr = (ddStderr + text).slice(-8192)));
  let readBackOut = '';
  remote.stdout.setEncoding('utf8').on('data', (text: string) => (readBackOut += text));

  const changed: string[] = [];
  let stream: { bytes: number; sha256: string } | undefined;
  // tar's output goes straight into OpenSSH's stdin through the tap where it can (stream-tap-process.ts).
  const tap = transport.name === 'openssh' ? spawnStreamTap(tar.stdout, remote.stdin, meter, { ...(bandwidthLimit ? { bandwidthLimit } : {}) }) : undefined;
  const onAbort = (): void => {
    tar.kill('SIGTERM');
    tap?.child.kill('SIGTERM');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const finished = remote.done.then((status) => {
        if (ddStderr.includes(READ_FAILED) || ddStderr.includes(FLUSH_FAILED)) {
          throw new OffsiteError(`could not read ${device} back on the instance: ${firstLine(withoutMarkers(ddStderr)) || 'dd or sync failed'}`);
        }
        if (status.code !== 0) {
          // dd's own complaint, not the statistics it prints after it.
          const lines = ddStderr.trim().split('\n');
          const why = lines.find((line) => line.startsWith('dd: ')) ?? lines.pop() ?? '';
          if (/No space left/i.test(why)) throw new OffsiteError(`the volume is full: ${why}`);
          throw new OffsiteError(`dd on the instance failed (exit ${status.code ?? status.signal}): ${why || 'no message'}`);
        }
      });
    let remoteFailure: unknown;
    finished.catch((error: unknown) => (remoteFailure = error)); // awaited below; the pipeline may fail first
    try {
      stream = tap ? await tap.done : await pumpInProcess(tar, remote, meter, signal, bandwidthLimit);
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      // A broken pipe is a symptom; the remote side's end (a lost connection, dd's error) says why.
      await Promise.race([finished.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      throw remoteFailure ?? error;
    }
    await finished;
    const tarCode = await tarExit;
    if (tarCode === 1) {
      changed.push(...changedFiles(tarStderr));
      // Exit 1 with no file we can name still means "some files differ": never a quiet success.
      if (changed.length === 0) changed.push(firstLine(tarStderr) || '(tar did not say which)');
    } else if (tarCode !== 0) {
      throw new OffsiteError(`tar failed (exit ${tarCode}): ${firstLine(tarStderr) || 'no message'}`);
    }
  } catch (error) {
    tar.kill('SIGTERM');
    if (signal.aborted) throw abortReason(signal);
    if (remoteFailureOf(error)) throw error;
    // A failing tar is the root cause when the pipe broke because of it.
    const code = tar.exitCode;
    if (code !== null && code > 1) throw new OffsiteError(`tar failed (exit ${code}): ${firstLine(tarStderr) || 'no message'}`);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  meter.finish();
  return { bytes: stream.bytes, sha256: stream.sha256, readBack: parseReadBack(readBackOut), changed };
}

/** tar → this process (hashed, counted, held under the rate) → the remote's stdin. */
async function pumpInProcess(
  tar: ChildProcessByStdio<null, Readable, Readable>,
  remote: RemoteProcess,
  meter: ProgressMeter,
  signal: AbortSignal,
  bandwidthLimit: number | undefined,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const startedAt = Date.now();
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      meter.add(chunk.length);
      const wait = bandwidthLimit ? throttleDelayMs(bytes, bandwidthLimit, startedAt) : 0;
      if (wait > 0) setTimeout(() => callback(null, chunk), wait);
      else callback(null, chunk);
    },
  });
  await pipeline(tar.stdout, tap, remote.stdin, { signal });
  return { bytes, sha256: hash.digest('hex') };
}

/** SHA-256 of the device's first `bytes` bytes, read back on the instance with O_DIRECT (readBackScript). */
export async function deviceSha256(session: SshSession, device: string, bytes: number, signal?: AbortSignal): Promise<string> {
  const script = readBackScript(device, bytes);
  const result = await session.exec(`sh -c ${shellQuote(script)}`, { sudo: true, ...(signal ? { signal } : {}) });
  const digest = /^[0-9a-f]{64}/.exec(result.stdout.trim());
  const failed = result.stderr.includes(READ_FAILED) || result.stderr.includes(FLUSH_FAILED);
  if (result.code !== 0 || !digest || failed) {
    const why = firstLine(withoutMarkers(result.stderr)) || (failed ? 'dd or sync failed' : `exit ${result.code}`);
    throw new OffsiteError(`could not read back ${device} on the instance: ${why}`);
  }
  return digest[0];
}

function withoutMarkers(text: string): string {
  return text.replaceAll(READ_FAILED, '').replaceAll(FLUSH_FAILED, '');
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** A lost connection or a failing dd explains a broken pipe better than tar's complaint about it. */
function remoteFailureOf(error: unknown): boolean {
  return error instanceof OffsiteError && /SSH connection|dd on the instance|volume is full|read .* back on the instance/.test(error.message);
}
