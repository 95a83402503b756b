import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { OffsiteError } from '../../errors.js';
import type { ProgressMeter } from '../progress.js';

export interface StreamTap {
  child: ChildProcess;
  /** The stream's length and SHA-256, once the tap has passed all of it on. */
  done: Promise<{ bytes: number; sha256: string }>;
}

/**
 * Puts the stream tap (stream-tap.ts), a process of its own, between two pipes of other processes (tar and
 * OpenSSH): the bytes go from one to the other without entering this process, whose large heap (the AWS SDK) turned
 * their buffers into full garbage collections. This process gives up both pipe ends; progress comes from the tap.
 * Undefined where there is no compiled tap beside this module (offsite running from its TypeScript sources): the
 * caller then moves the stream itself.
 */
export function spawnStreamTap(from: Readable, to: Writable, meter: ProgressMeter, options: { bandwidthLimit?: number; drain?: boolean } = {}): StreamTap | undefined {
  const script = fileURLToPath(new URL('./stream-tap.js', import.meta.url));
  if (!existsSync(script)) return undefined;
  const args = ['--expose-gc', script, String(options.bandwidthLimit ?? 0), ...(options.drain ? ['drain'] : [])];
  const child = spawn(process.execPath, args, { stdio: [from, to, 'pipe', 'pipe'] });
  // The tap holds both ends now; with this process keeping neither, the end of the stream reaches the reader when the tap ends.
  from.destroy();
  to.destroy();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2048)));
  let pending = '';
  let end: { bytes: number; sha256: string } | undefined;
  (child.stdio[3] as Readable).setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const last = /^end (\d+) ([0-9a-f]{64})$/.exec(line);
      if (last) end = { bytes: Number(last[1]), sha256: last[2]! };
      else if (/^\d+$/.test(line)) meter.update(Number(line));
    }
  });
  const done = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
    child.on('error', (error) => reject(new OffsiteError(`cannot run the stream tap: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0 && end) {
        meter.update(end.bytes);
        resolve(end);
      } else {
        reject(new OffsiteError(`the stream broke (tap exit ${code ?? signal}): ${stderr.trim().split('\n')[0] || 'no message'}`));
      }
    });
  });
  done.catch(() => undefined); // the caller awaits it; an early failure must not count as unhandled
  return { child, done };
}
