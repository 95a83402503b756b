import type { EventSink } from '../core/events.js';
import { makeEmitter } from '../core/events.js';
import { InterruptedError, describeError, exitCodeOf } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { RunControl } from '../core/run-control.js';
import { asInterrupted, leftBehindFields } from '../core/left-behind.js';

/**
 * Runs one piece of core work with Ctrl-C handling: the first SIGINT/SIGTERM aborts the work (clean-up
 * still runs), a second one abandons the clean-up. Returns the exit code; never throws.
 */
export async function runWork<T>(options: {
  sink: EventSink;
  work: (control: RunControl) => Promise<T>;
  onResult: (result: T) => void;
  onInterruptNotice?: (message: string) => void;
}): Promise<number> {
  const emit = makeEmitter(options.sink);
  const main = new AbortController();
  const cleanup = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      options.onInterruptNotice?.(`${signal === 'SIGINT' ? 'interrupted' : signal}: cleaning up (press Ctrl-C again to abandon the clean-up)`);
      main.abort(new InterruptedError());
    } else {
      options.onInterruptNotice?.('abandoning the clean-up');
      cleanup.abort(new InterruptedError());
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    const result = await options.work({ signal: main.signal, cleanupSignal: cleanup.signal, emit });
    if (main.signal.aborted) throw new InterruptedError();
    options.onResult(result);
    return ExitCode.ok;
  } catch (error) {
    const failure = main.signal.aborted ? asInterrupted(error) : error;
    const exitCode = exitCodeOf(failure);
    emit({ type: 'error', message: describeError(failure), exitCode, ...leftBehindFields(failure) });
    if (process.env.OFFSITE_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
