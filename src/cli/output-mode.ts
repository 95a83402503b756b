import type { PhaseSpec } from '../core/phases.js';
import type { EventSink } from '../core/events.js';
import { jsonPresenter } from '../ui/json.js';
import { plainPresenter } from '../ui/plain.js';
import type { ResultLine } from '../ui/result-lines.js';
import { commandRedaction, type Redaction } from './redaction.js';

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export interface Presenter {
  /** Every event the run emits; secrets are masked before any presenter sees them. */
  sink: EventSink;
  json: boolean;
  /** The live task list is on screen: nothing else may write to the terminal until close(). */
  live: boolean;
  /** Waits for a live display to finish and prints what it held back (warnings). */
  close(): Promise<void>;
  /** A line for the operator now, outside the event stream (the interrupt notice); nothing with --json. */
  notice(message: string): void;
  /** A line of the command's own progress on stderr (plain output only), masked. */
  line(text: string): void;
  /** The finished run's lines, after close(), masked; nothing with --json (the `result` event is the answer). */
  result(lines: ResultLine[]): void;
  /** What is masked; the run adds secrets it learns (a Snowball unlock code) here. */
  redaction: Redaction;
}

/** A live task list only on a real terminal, never in CI, pipes, --quiet, --verbose or dumb terminals. */
export function wantsLiveDisplay(flags: OutputFlags, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stderr.isTTY) && !flags.json && !flags.quiet && !flags.verbose && !env.CI && env.TERM !== 'dumb';
}

/**
 * --json: JSON lines on stdout and nothing else there; a terminal: live listr2 tasks on stderr (when the command
 * knows its phases); otherwise plain lines on stderr (--quiet: warnings and errors only; --verbose: everything).
 * Whichever it is, it sits behind the redaction: the caller's keys and the plan's `secrets` never reach the output.
 */
export async function choosePresenter(flags: OutputFlags, program: string, phases?: PhaseSpec[], secrets: Iterable<string> = []): Promise<Presenter> {
  const redaction = commandRedaction(secrets);
  const write = (line: string): void => void process.stderr.write(`${redaction.text(line)}\n`);
  const shared = {
    redaction,
    line: (text: string) => (flags.json ? undefined : write(text)),
    result: (lines: ResultLine[]) => {
      if (flags.json) return;
      for (const line of lines) (line.stream === 'stdout' ? process.stdout : process.stderr).write(`${redaction.text(line.text)}\n`);
    },
  };
  if (flags.json) {
    const sink = redaction.sink(jsonPresenter((line) => process.stdout.write(`${line}\n`)));
    return { ...shared, sink, json: true, live: false, close: async () => undefined, notice: () => undefined };
  }
  if (phases && wantsLiveDisplay(flags)) {
    const { listrPresenter } = await import('../ui/listr.js');
    const live = listrPresenter(phases);
    let errorLine: string | undefined;
    return {
      ...shared,
      sink: redaction.sink((event) => {
        if (event.type === 'error') errorLine = `${program}: ${event.message}`;
        live.sink(event);
      }),
      json: false,
      live: true,
      notice: (message) => live.notice(redaction.text(message)),
      close: async () => {
        await live.close();
        for (const warning of live.warnings()) write(`${program}: warning: ${warning}`);
        if (errorLine) write(errorLine);
      },
    };
  }
  return {
    ...shared,
    sink: redaction.sink(plainPresenter(write, { level: flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal', program })),
    json: false,
    live: false,
    close: async () => undefined,
    notice: (message) => write(`${program}: ${message}`),
  };
}
