import { OffsiteError, describeError, exitCodeOf, type Wording } from '../errors.js';
import { offsiteWording } from './commands/flag-advice.js';
import { jsonPresenter } from '../ui/json.js';

/**
 * A failure found before the work starts (bad input, a refused device, an unanswered prompt), reported the one way
 * every command does: one line on stderr, or with --json one `error` event on stdout. Returns its exit code.
 */
export function reportEarlyFailure(
  error: unknown,
  options: { json: boolean | undefined; program: string; scrub?: (text: string) => string; words?: Wording },
): number {
  const exitCode = exitCodeOf(error);
  const text = describeError(error, options.words ?? offsiteWording);
  const message = options.scrub ? options.scrub(text) : text;
  const advice = error instanceof OffsiteError ? error.advice : undefined;
  // No emitter here: it would load the event schemas (zod) into every start-up, --help included.
  if (options.json) jsonPresenter((line) => process.stdout.write(`${line}\n`))({ type: 'error', time: new Date().toISOString(), message, exitCode, ...(advice ? { advice } : {}) });
  else process.stderr.write(`${options.program}: ${message}\n`);
  return exitCode;
}
