import { InterruptedError } from '../../errors.js';

/**
 * Steps that run at the same time (a volume made while the instance boots, the SSH connection opened while the
 * volume attaches). The first failure stops the others through their shared signal, every step is awaited before
 * `settled` answers — so whatever one of them created is on the clean-up stack by then — and that first failure is
 * what the run reports, not a sibling's "stopped".
 */
export class SideBySide {
  private readonly stop = new AbortController();
  readonly signal: AbortSignal;
  private readonly running: Promise<unknown>[] = [];
  private failure: { error: unknown } | undefined;

  constructor(parent: AbortSignal) {
    this.signal = AbortSignal.any([parent, this.stop.signal]);
  }

  run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const step = this.signal.aborted ? Promise.reject(this.signal.reason as Error) : work(this.signal);
    this.running.push(step);
    step.catch((error: unknown) => {
      if (this.failure) return;
      this.failure = { error };
      this.stop.abort(new InterruptedError('stopped: a step beside it failed'));
    });
    return step;
  }

  /** Waits for every step, including any started while waiting; throws the first failure. */
  async settled(): Promise<void> {
    let seen = 0;
    while (seen < this.running.length) {
      seen = this.running.length;
      await Promise.allSettled(this.running);
    }
    if (this.failure) throw this.failure.error;
  }
}
