import type { EventSink } from '../core/events.js';
import { makeEmitter } from '../core/events.js';
import { InterruptedError, describeError, exitCodeOf } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { RunControl } from '../core/run-control.js';
import { errorFor, noteToStderr, outputOpen, watchInterrupts } from './interrupts.js';
import { asStopped, leftBehindFields } from '../core/left-behind.js';

/**
 * Runs one piece of core work so that it always ends in its clean-up: the first press (a signal, the output
 * going away, the launcher dying; see interrupts.ts) aborts the work and the clean-up still runs; a second signal
 * abandons the clean-up. Returns the exit code; never throws.
 */
export async function runWork<T>(options: {
  sink: EventSink;
  work: (control: RunControl) => Promise<T>;
  onResult: (result: T) => void;
  onInterruptNotice?: (message: string) => void;
}): Promise<number> {
  const main = new AbortController();
  const cleanup = new AbortController();
  // Once the output is gone nothing more is written, but the run still winds down and cleans up.
  const sink: EventSink = (event) => {
    if (outputOpen('stdout') && outputOpen('stderr')) options.sink(event);
  };
  const emit = makeEmitter(sink);
  const notice = (message: string): void => {
    if (outputOpen('stderr')) options.onInterruptNotice?.(message);
  };
  let presses = 0;
  const stopWatching = watchInterrupts((cause) => {
    if (presses > 0 && cause.kind !== 'signal') return; // only a second signal abandons the clean-up
    presses++;
    if (presses === 1) {
      const what = cause.kind === 'signal' ? (cause.signal === 'SIGINT' ? 'interrupted' : cause.signal) : errorFor(cause).message;
      notice(`${what}: cleaning up (press Ctrl-C again to abandon the clean-up)`);
      main.abort(errorFor(cause));
    } else {
      notice('abandoning the clean-up');
      cleanup.abort(new InterruptedError());
    }
  });
  try {
    const result = await options.work({ signal: main.signal, cleanupSignal: cleanup.signal, emit });
    if (main.signal.aborted) throw main.signal.reason;
    if (outputOpen('stdout') && outputOpen('stderr')) options.onResult(result);
    return outputOpen('stdout') && outputOpen('stderr') ? ExitCode.ok : ExitCode.outputClosed;
  } catch (error) {
    const failure = main.signal.aborted ? asStopped(error, main.signal.reason) : error;
    const exitCode = exitCodeOf(failure);
    emit({ type: 'error', message: describeError(failure), exitCode, ...leftBehindFields(failure) });
    if (process.env.OFFSITE_DEBUG && error instanceof Error && error.stack) noteToStderr(error.stack);
    return exitCode;
  } finally {
    stopWatching();
  }
}
