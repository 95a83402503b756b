import { appendFile, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { abortReason } from '../../util/poll.js';
import { runCommand } from '../host/command.js';

/** One external command. */
export interface ExecSpec {
  argv: readonly string[];
  /** Reads state only, so it also runs under --noop (the plan needs its answer). */
  query?: boolean;
  /** Streams stdout line by line instead of keeping it (dar -vt names every file). */
  onStdoutLine?: (line: string) => void;
  /** How to stop it when the run is aborted (dar stops fast on SIGUSR2). */
  stopSignal?: NodeJS.Signals;
}

export interface ExecResult {
  /** 127: the program is not installed. */
  code: number;
  stdout: string;
  stderr: string;
  /** Not run: --noop. */
  skipped: boolean;
}

/** A change to the filesystem that is not a command; printed as the shell line that would do it. */
export type FsChange =
  | { op: 'mkdir'; path: string; parents?: boolean }
  | { op: 'rmdir'; path: string }
  | { op: 'write'; path: string; text: string }
  | { op: 'append'; path: string; text: string }
  | { op: 'remove'; path: string };

/**
 * Everything the archive service does to the machine goes through here, so the same code can run for real,
 * print a --noop plan, or be recorded in tests (LVM cannot run on this kernel).
 */
export interface CommandRunner {
  exec(spec: ExecSpec, signal?: AbortSignal): Promise<ExecResult>;
  change(change: FsChange): Promise<void>;
  /** Reads (never changes): lstat, file text, directory names. */
  exists(path: string): Promise<boolean>;
  readText(path: string): Promise<string | undefined>;
  list(dir: string): Promise<string[]>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const KEEP = 64 * 1024;

/** Runs commands and changes for real. Children get their own process group: Ctrl-C reaches us, and we decide. */
export function realRunner(): CommandRunner {
  return {
    exec: (spec, signal) => execReal(spec, signal),
    change: (change) => applyChange(change),
    exists: async (path) => lstat(path).then(() => true, () => false),
    readText: async (path) => readFile(path, 'utf8').catch(() => undefined),
    list: async (dir) => readdir(dir).catch(() => [] as string[]),
    sleep: async (ms, signal) => {
      await delay(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
      if (signal?.aborted) throw abortReason(signal);
    },
  };
}

async function execReal(spec: ExecSpec, signal?: AbortSignal): Promise<ExecResult> {
  const output = await runCommand(spec.argv, {
    keepBytes: KEEP,
    ...(signal ? { signal } : {}),
    ...(spec.onStdoutLine ? { onStdoutLine: spec.onStdoutLine } : {}),
    ...(spec.stopSignal ? { stopSignal: spec.stopSignal } : {}),
  });
  return { ...output, skipped: false };
}

async function applyChange(change: FsChange): Promise<void> {
  switch (change.op) {
    case 'mkdir':
      await mkdir(change.path, { recursive: change.parents ?? false });
      return;
    case 'rmdir':
      await rmdir(change.path);
      return;
    case 'write': {
      // Atomic: a crash leaves the old content or the new, never half a name.
      const temp = join(dirname(change.path), `.${process.pid}.tmp`);
      await writeFile(temp, change.text);
      await syncFile(temp);
      await rename(temp, change.path);
      return;
    }
    case 'append':
      await appendFile(change.path, change.text);
      await syncFile(change.path);
      return;
    case 'remove':
      await rm(change.path, { force: true });
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
