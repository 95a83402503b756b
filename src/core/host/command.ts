import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { abortReason } from '../../util/poll.js';

export interface CommandOutput {
  /** 127: the program is not installed (or not executable). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  signal?: AbortSignal;
  /** Written to the program's stdin: secrets (a password) go here, never into the argument list. */
  stdin?: string;
  /** Streams stdout line by line, as well as keeping its tail (dar -vt names every file). */
  onStdoutLine?: (line: string) => void;
  /** Throw stdout away (an encryption tool writing its own output file). */
  discardStdout?: boolean;
  /** How to stop it when the work is aborted (dar stops fast on SIGUSR2); SIGKILL follows after 5 s. */
  stopSignal?: NodeJS.Signals;
  /** How much of each stream to keep, from the end (default 256 KiB). */
  keepBytes?: number;
  /** The environment (default: ours). */
  env?: NodeJS.ProcessEnv;
  /** 'C' (default): LC_ALL=C, so the output parsed is the English one; 'inherit' leaves the locale alone. */
  locale?: 'C' | 'inherit';
}

const KEEP = 256 * 1024;
const KILL_AFTER_MS = 5_000;

/**
 * Runs a program on this machine, never through a shell. It gets its own process group: a Ctrl-C at the terminal
 * reaches offsite, which decides what to stop (the stop signal, then SIGKILL). Aborting rejects with the abort's
 * reason once the program has ended; a missing program is code 127, as a shell would say.
 */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandOutput> {
  const { signal, stdin, onStdoutLine } = options;
  const keep = options.keepBytes ?? KEEP;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const [program, ...args] = argv;
    const child = spawn(program!, args, {
      stdio: [stdin === undefined ? 'ignore' : 'pipe', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
      detached: true,
      env: options.locale === 'inherit' ? (options.env ?? process.env) : { ...(options.env ?? process.env), LC_ALL: 'C' },
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      stdout = (stdout + text).slice(-keep);
      if (!onStdoutLine) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onStdoutLine(line);
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => void (stderr = (stderr + text).slice(-keep)));
    if (stdin !== undefined) {
      child.stdin!.on('error', () => undefined); // a program that exits without reading is judged by its exit code
      child.stdin!.end(stdin);
    }
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      child.kill(options.stopSignal ?? 'SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT' || error.code === 'EACCES') resolve({ code: 127, stdout: '', stderr: `${program}: command not found` });
      else reject(error);
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (partial && onStdoutLine) onStdoutLine(partial);
      if (signal?.aborted) return reject(abortReason(signal));
      resolve({ code: code ?? (killedBy ? 128 : 1), stdout, stderr });
    });
  });
}

/** The last non-empty line of a program's output: its one-line complaint. */
export function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.trim() ?? '';
}

/** Where a command name resolves, like a shell's PATH search; undefined when it cannot be run. */
export async function findExecutable(command: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * For programs judged by their exit status alone (gpg, dar, an encrypt command): stdout thrown away, the last
 * complaint kept, the operator's locale left alone (their names may need it).
 */
export async function runForStatus(argv: readonly string[], signal?: AbortSignal, env?: NodeJS.ProcessEnv): Promise<{ code: number; lastError: string }> {
  const output = await runCommand(argv, { discardStdout: true, locale: 'inherit', ...(signal ? { signal } : {}), ...(env ? { env } : {}) });
  return { code: output.code, lastError: lastLine(output.stderr) };
}
