import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { OffsiteError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { ProgressMeter } from '../progress.js';
import { abortReason } from '../../util/poll.js';
import { unescapeC } from '../verify/volume-remote.js';
import type { BulkTransport } from '../../ssh/bulk-transport.js';
import type { RemoteProcess } from '../../ssh/types.js';
import { spawnStreamTap } from '../ebs/stream-tap-process.js';
import { shellQuote } from '../../ssh/quote.js';

/**
 * GNU tar as root: numeric owners, modes, times, ACLs and every extended attribute; hard links, holes, symlinks,
 * devices and FIFOs come with tar. Anyone else cannot give files away or set attributes outside `user.`: the files
 * become theirs (tar's default) with their ACLs and user attributes, rather than the restore failing.
 */
export function extractArgs(staging: string, include: string[], asRoot = process.getuid?.() === 0): string[] {
  return [
    '--extract',
    '--file=-',
    '--numeric-owner',
    ...(asRoot ? ['--same-owner'] : []),
    '--preserve-permissions',
    '--acls',
    '--xattrs',
    ...(asRoot ? ['--xattrs-include=*'] : []),
    '--directory',
    staging,
    ...members(include),
  ];
}

/** The dry run: names only, one per line, C-escaped so a newline in a name cannot split it. */
export function listArgs(include: string[]): string[] {
  return ['--list', '--file=-', '--quoting-style=escape', ...members(include)];
}

function members(include: string[]): string[] {
  return include.length > 0 ? ['--', ...include.map((p) => `./${p}`)] : [];
}

export interface DdPull {
  /** SHA-256 of the bytes that came off the device. */
  sha256: string;
  bytes: number;
  /** Dry run: the members tar listed, relative, without the root. */
  listing?: string[];
}

/**
 * Streams the first `bytes` bytes of the device back over SSH into a local GNU tar, hashing them as they pass.
 * tar writes only into `staging`; the whole stream is read (and hashed) even if tar gives up early, so a
 * corrupt image is reported as corrupt (exit 3), not as tar's complaint.
 */
export async function pullDdImage(options: {
  transport: BulkTransport;
  device: string;
  bytes: number;
  expectedSha256: string | undefined;
  volume: string;
  /** Where to extract; undefined: list only (dry run). */
  staging: string | undefined;
  include: string[];
  meter: ProgressMeter;
  signal: AbortSignal;
}): Promise<DdPull> {
  const { transport, device, bytes, meter, signal } = options;
  // dd in 4 MiB reads rather than head's small ones: fewer system calls on the instance for the same bytes.
  const remote = transport.spawn(`dd if=${shellQuote(device)} bs=4M iflag=count_bytes count=${bytes} status=none`, { signal, sudo: true });
  remote.done.catch(() => undefined); // awaited below, after the stream ends
  let remoteErr = '';
  remote.stderr.setEncoding('utf8').on('data', (t: string) => (remoteErr = (remoteErr + t).slice(-2048)));
  const args = options.staging ? extractArgs(options.staging, options.include) : listArgs(options.include);
  const tar = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let tarOut = '';
  let tarErr = '';
  tar.stdout.setEncoding('utf8').on('data', (t: string) => (tarOut += t));
  tar.stderr.setEncoding('utf8').on('data', (t: string) => (tarErr = (tarErr + t).slice(-4096)));
  const tarExit = new Promise<number | null>((resolve, reject) => {
    tar.on('error', (error) => reject(new OffsiteError(`cannot run tar: ${error.message}`)));
    tar.on('close', (code) => resolve(code));
  });
  tarExit.catch(() => undefined);
  let tarGone = false;
  tar.stdin.on('error', () => (tarGone = true)); // tar stopped reading: keep hashing the rest
  tar.on('close', () => (tarGone = true));

  // Straight from OpenSSH into tar through the tap where it can (stream-tap-process.ts), hashed in this process otherwise.
  const tap = transport.name === 'openssh' ? spawnStreamTap(remote.stdout, tar.stdin, meter, { drain: true }) : undefined;
  const onAbort = (): void => {
    tar.kill('SIGTERM');
    tap?.child.kill('SIGTERM');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const { bytes: received, sha256 } = tap ? await tap.done : await hashInProcess(remote, tar, () => tarGone, meter);
    const status = await remote.done;
    if (signal.aborted) throw abortReason(signal);
    if (status.code !== 0) throw new OffsiteError(`reading ${device} on the instance failed (exit ${status.code ?? status.signal}): ${lastLine(remoteErr) || 'no message'}`);
    meter.finish();
    if (received !== bytes || (options.expectedSha256 !== undefined && sha256 !== options.expectedSha256)) {
      tar.kill('SIGTERM');
      await tarExit.catch(() => undefined);
      throw new OffsiteError(
        `${options.volume} is corrupt: its first ${bytes} bytes ${received !== bytes ? `came back as ${received} bytes` : `hash to ${sha256}, not ${options.expectedSha256} (offsite:dd-sha256)`}; nothing was written into the target`,
        ExitCode.differences,
      );
    }
    const code = await tarExit;
    if (signal.aborted) throw abortReason(signal);
    if (code !== 0) throw new OffsiteError(`tar could not ${options.staging ? 'extract' : 'list'} the image (exit ${code}): ${lastLine(tarErr) || 'no message'}`);
    return {
      sha256,
      bytes: received,
      ...(options.staging ? {} : { listing: tarOut.split('\n').filter((l) => l && l !== './').map((l) => unescapeC(l).replace(/^\.\//, '').replace(/\/$/, '')) }),
    };
  } catch (error) {
    tar.kill('SIGTERM');
    if (signal.aborted) throw abortReason(signal);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The stream through this process: hashed, counted, written on into tar while tar reads. */
async function hashInProcess(remote: RemoteProcess, tar: ChildProcessByStdio<Writable, Readable, Readable>, tarGone: () => boolean, meter: ProgressMeter): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    remote.stdout.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      meter.add(chunk.length);
      if (tarGone()) return;
      if (!tar.stdin.write(chunk)) {
        remote.stdout.pause();
        const resume = (): void => {
          tar.stdin.off('drain', resume);
          tar.off('close', resume);
          remote.stdout.resume();
        };
        tar.stdin.once('drain', resume);
        tar.once('close', resume);
      }
    });
    remote.stdout.on('end', resolve);
    remote.stdout.on('error', reject);
  });
  if (!tarGone()) tar.stdin.end();
  return { bytes: received, sha256: hash.digest('hex') };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
