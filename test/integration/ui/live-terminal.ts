/**
 * Runs offsite in a real terminal (a tmux session) as a person would, to read its live task list back: no CI, a
 * colour terminal, the test's Node first on PATH. The program's exit status goes to a file the test waits for.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../helpers/cli.js';
import { openTerminal, type Terminal } from '../../helpers/terminal.js';
import { shellQuote } from '../../../src/ssh/quote.js';

export interface LiveRun {
  tty: Terminal;
  /** The exit status, once the program has ended. */
  exitCode(timeoutMs?: number): Promise<string>;
}

/** A step still drawing progress (a `›` line under it) or an ETA: none may be left once the run is over. */
export const PROGRESS_LEFT = /›|ETA/;

export async function runLive(
  session: string,
  work: string,
  env: Record<string, string | undefined>,
  args: string[],
  setup = '',
): Promise<LiveRun> {
  const exitFile = join(work, `${session}.exit-code`);
  const script = join(work, `${session}.sh`);
  const exports = Object.entries({ ...env, PATH: `${dirname(process.execPath)}:${env.PATH ?? process.env.PATH ?? ''}`, TERM: 'xterm-256color' })
    .filter(([key, value]) => value !== undefined && key !== 'CI')
    .map(([key, value]) => `export ${key}=${shellQuote(value!)}`)
    .join('\n');
  const command = [join(repoRoot, 'bin', 'offsite.js'), ...args].map((word) => shellQuote(word)).join(' ');
  await writeFile(script, `${exports}\nunset CI\n${setup}\n${command}\necho $? > ${shellQuote(exitFile)}\n`);
  const tty = await openTerminal(`${session}-${process.pid}`, script);
  return { tty, exitCode: (timeoutMs = 120_000) => tty.exitCodeFrom(exitFile, timeoutMs) };
}
