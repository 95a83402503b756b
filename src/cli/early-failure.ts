import { InterruptedError, OffsiteError, describeError, exitCodeOf, type Wording } from '../errors.js';
import { offsiteWording } from './commands/flag-advice.js';
import { jsonPresenter } from '../ui/json.js';
import { commandRedaction } from './redaction.js';

/**
 * A failure found before the work starts (bad input, a refused device, a question left unanswered: interrupted),
 * reported the one way every command does: one line on stderr, or with --json one `error` event on stdout, masked
 * like every other output (the caller's keys, and the plan's `secrets` if it got as far as reading them). Returns
 * its exit code.
 */
export function reportEarlyFailure(
  error: unknown,
  options: { json: boolean | undefined; program: string; secrets?: Iterable<string>; words?: Wording },
): number {
  const failure = isPromptExit(error) ? new InterruptedError() : error;
  const exitCode = exitCodeOf(failure);
  const message = commandRedaction(options.secrets).text(describeError(failure, options.words ?? offsiteWording));
  const advice = failure instanceof OffsiteError ? failure.advice : undefined;
  // No emitter here: it would load the event schemas (zod) into every start-up, --help included.
  if (options.json) jsonPresenter((line) => process.stdout.write(`${line}\n`))({ type: 'error', time: new Date().toISOString(), message, exitCode, ...(advice ? { advice } : {}) });
  else process.stderr.write(`${options.program}: ${message}\n`);
  return exitCode;
}

/** Ctrl-C (or a closed terminal) at a question: the operator stopped the command. */
export function isPromptExit(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}
