import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { InterruptedError } from '../../errors.js';

export interface ProcessOutcome {
  code: number;
  /** The last non-empty line the program wrote to stderr (for the one-line error). */
  lastError: string;
}

/** Runs a program directly (no shell), stdin closed, stdout discarded; a Ctrl-C terminates it. */
export function runProgram(argv: string[], signal?: AbortSignal, env?: NodeJS.ProcessEnv): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], shell: false, ...(env ? { env } : {}) });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-4096);
    });
    const onAbort = (): void => void child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new InterruptedError());
      const lastError = stderr.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
      resolve({ code: code ?? (killedBy ? 128 : 1), lastError });
    });
  });
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
