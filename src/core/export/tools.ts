import { spawn } from 'node:child_process';
import { InterruptedError, OffsiteError } from '../../errors.js';

const PACKAGES: Record<string, string> = { sgdisk: 'gdisk', mkfs: 'e2fsprogs', blkid: 'util-linux', partx: 'util-linux', mount: 'mount', umount: 'mount' };

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a system tool (never through a shell, never with a secret in its arguments). Its own process group, so
 * a Ctrl-C reaches us first and we decide; on abort it gets SIGTERM. `check` turns a non-zero exit into a
 * one-line error with the tool's last complaint.
 */
export function runTool(argv: readonly string[], options: { signal?: AbortSignal; check?: boolean } = {}): Promise<ToolResult> {
  const { signal, check = true } = options;
  if (signal?.aborted) return Promise.reject(new InterruptedError());
  const [program, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => void (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => void (stderr = (stderr + t).slice(-16_384)));
    const onAbort = (): void => void child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      const pkg = PACKAGES[program!];
      reject(
        error.code === 'ENOENT'
          ? new OffsiteError(`${program}: not installed${pkg ? ` (Debian package ${pkg}; scripts/setup.sh installs it)` : ''}`)
          : new OffsiteError(`${program}: ${error.message}`),
      );
    });
    child.on('close', (code, killed) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new InterruptedError());
      const result = { code: code ?? 128, stdout, stderr };
      if (check && (code !== 0 || killed)) {
        const why = stderr.trim().split('\n').filter(Boolean).at(-1) ?? (killed ? `killed by ${killed}` : `exit ${code}`);
        return reject(new OffsiteError(`${argv.join(' ')} failed: ${why}`));
      }
      resolve(result);
    });
  });
}
