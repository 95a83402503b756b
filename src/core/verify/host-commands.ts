import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { abortReason } from '../../util/poll.js';

export interface CommandOutput {
  /** 127: the program is not installed. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The commands that open a disk on this machine (losetup, blkid, sgdisk, mount, cryptsetup) go through here,
 * so the TrueCrypt path — which cannot run on a kernel without device-mapper — is proved by its command plan.
 * `stdin` carries secrets (a TrueCrypt password) so that they never appear in an argument list.
 */
export interface HostCommands {
  run(argv: readonly string[], options?: { stdin?: string; signal?: AbortSignal }): Promise<CommandOutput>;
  readText(path: string): Promise<string | undefined>;
}

const KEEP = 256 * 1024;

export function realHostCommands(): HostCommands {
  return {
    run: (argv, options = {}) => runReal(argv, options),
    readText: (path) => readFile(path, 'utf8').catch(() => undefined),
  };
}

function runReal(argv: readonly string[], options: { stdin?: string; signal?: AbortSignal }): Promise<CommandOutput> {
  const { signal, stdin } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const [program, ...args] = argv;
    // Its own process group: a Ctrl-C reaches us, and we decide what to stop.
    const child = spawn(program!, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => void (stdout = (stdout + text).slice(-KEEP)));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => void (stderr = (stderr + text).slice(-KEEP)));
    if (stdin !== undefined) {
      child.stdin!.on('error', () => undefined); // a program that exits without reading is judged by its exit code
      child.stdin!.end(stdin);
    }
    const onAbort = (): void => void child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') resolve({ code: 127, stdout: '', stderr: `${program}: command not found` });
      else reject(error);
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(abortReason(signal));
      resolve({ code: code ?? (killedBy ? 128 : 1), stdout, stderr });
    });
  });
}

export function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.trim() ?? '';
}
