import type { PhaseSpec } from '../core/phases.js';
import type { EventSink } from '../core/events.js';
import { jsonPresenter } from '../ui/json.js';
import { plainPresenter } from '../ui/plain.js';

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export interface Presenter {
  sink: EventSink;
  json: boolean;
  /** The live task list is on screen: nothing else may write to the terminal until close(). */
  live: boolean;
  /** Waits for a live display to finish and prints what it held back (warnings). */
  close(): Promise<void>;
  /** A line for the operator now, outside the event stream (the interrupt notice); nothing with --json. */
  notice(message: string): void;
}

/** A live task list only on a real terminal, never in CI, pipes, --quiet, --verbose or dumb terminals. */
export function wantsLiveDisplay(flags: OutputFlags, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stderr.isTTY) && !flags.json && !flags.quiet && !flags.verbose && !env.CI && env.TERM !== 'dumb';
}

/**
 * --json: JSON lines on stdout and nothing else there; a terminal: live listr2 tasks on stderr (when the command
 * knows its phases); otherwise plain lines on stderr (--quiet: warnings and errors only; --verbose: everything).
 */
export async function choosePresenter(flags: OutputFlags, program: string, phases?: PhaseSpec[]): Promise<Presenter> {
  if (flags.json) {
    return { sink: jsonPresenter((line) => process.stdout.write(`${line}\n`)), json: true, live: false, close: async () => undefined, notice: () => undefined };
  }
  const write = (line: string): void => void process.stderr.write(`${line}\n`);
  if (phases && wantsLiveDisplay(flags)) {
    const { listrPresenter } = await import('../ui/listr.js');
    const live = listrPresenter(phases);
    let errorLine: string | undefined;
    return {
      sink: (event) => {
        if (event.type === 'error') errorLine = `${program}: ${event.message}`;
        live.sink(event);
      },
      json: false,
      live: true,
      notice: (message) => live.notice(message),
      close: async () => {
        await live.close();
        for (const warning of live.warnings()) write(`${program}: warning: ${warning}`);
        if (errorLine) write(errorLine);
      },
    };
  }
  return {
    sink: plainPresenter(write, { level: flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal', program }),
    json: false,
    live: false,
    close: async () => undefined,
    notice: (message) => write(`${program}: ${message}`),
  };
}
