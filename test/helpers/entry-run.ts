import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { repoRoot } from './cli.js';

/**
 * Runs the binaries the way users start them, for tests that stop them the way operators and supervisors do:
 * the machine's own node on bin/*.js (older than 22 on the project's machines, so bin/launch.js starts Node 24
 * as its child), the installed shell entry (bin/offsite, which execs Node 24) and npx. Each run leads its own
 * process group, as a terminal's foreground job does, so a test can signal the group or the main pid alone.
 */
export type Entry = 'system-node' | 'shell-entry' | 'npx';

/** The machine's own node: the first on PATH outside this project (npm test puts Node 24 first). */
export function systemNode(): string {
  for (const dir of pathOutsideProject().split(delimiter)) {
    if (dir && existsSync(join(dir, 'node'))) return join(dir, 'node');
  }
  throw new Error('no node on PATH outside the project');
}

function pathOutsideProject(): string {
  return (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(repoRoot)).join(delimiter);
}

export type OffsiteEventLine = {
  type: string;
  phase?: string;
  bytes?: number;
  exitCode?: number;
  message?: string;
  runId?: string;
  kind?: string;
  id?: string;
  status?: string;
};

export interface EntryRun {
  child: ChildProcess;
  events: OffsiteEventLine[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the whole process group, as a terminal does. */
  signalGroup: (signal: NodeJS.Signals) => void;
}

export function startEntry(
  entry: Entry,
  bin: 'offsite' | 'ec2-backup',
  args: string[],
  env: Record<string, string | undefined>,
  on: { event?: (event: OffsiteEventLine, run: EntryRun) => void; stderr?: (all: string, run: EntryRun) => void } = {},
): EntryRun {
  const [program, argv]: [string, string[]] =
    entry === 'system-node'
      ? [systemNode(), [join(repoRoot, 'bin', `${bin}.js`), ...args]]
      : entry === 'shell-entry'
        ? [join(repoRoot, 'bin', bin), args]
        : ['npx', ['--no-install', bin, ...args]];
  const child = spawn(program, argv, {
    cwd: repoRoot,
    env: { ...env, PATH: pathOutsideProject() } as NodeJS.ProcessEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let pending = '';
  const run: EntryRun = {
    child,
    events: [],
    stderr: () => stderr,
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
    signalGroup: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is already gone
      }
    },
  };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as OffsiteEventLine;
      run.events.push(event);
      on.event?.(event, run);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    on.stderr?.(stderr, run);
  });
  return run;
}

/** Processes still running whose command line contains `marker` (a run's source directory, say). */
export function processesMentioning(marker: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(marker) && !/\bps -eo\b/.test(line));
}
