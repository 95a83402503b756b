import { setFlagsFromString } from 'node:v8';
import type { EventSink } from '../core/events.js';
import { makeEmitter } from '../core/events.js';
import { InterruptedError, OffsiteError, advised, describeError, exitCodeOf, type Wording } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { RunControl } from '../core/run-control.js';
import { errorFor, noteToStderr, outputOpen, watchInterrupts } from './interrupts.js';
import { asStopped, leftBehindFields } from '../core/left-behind.js';
import { offsiteWording } from './commands/flag-advice.js';

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
  /** How this command spells the inputs and remedies the core's messages name (default: offsite's flags). */
  words?: Wording;
}): Promise<number> {
  // Thousands of small requests promote short-lived SDK state to the old generation: growing it by half its live
  // size between full collections (V8's default: up to fourfold) keeps that garbage from becoming resident. Set
  // when work starts, not on the command line, where it cost every start-up (--help too) ~20 ms of collections.
  setFlagsFromString('--heap-growing-percent=50');
  const words = options.words ?? offsiteWording;
  const main = new AbortController();
  const cleanup = new AbortController();
  // Once the output is gone nothing more is written, but the run still winds down and cleans up.
  const sink: EventSink = (event) => {
    if (!outputOpen('stdout') || !outputOpen('stderr')) return;
    // A warning's input and remedy in this command's words, once, for every presenter (--json included).
    options.sink(event.type === 'warning' && event.advice ? { ...event, message: advised(event.message, event.advice, words) } : event);
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
    const advice = failure instanceof OffsiteError ? failure.advice : undefined;
    emit({ type: 'error', message: describeError(failure, words), exitCode, ...(advice ? { advice } : {}), ...leftBehindFields(failure) });
    if (process.env.OFFSITE_DEBUG && error instanceof Error && error.stack) noteToStderr(error.stack);
    return exitCode;
  } finally {
    stopWatching();
  }
}
