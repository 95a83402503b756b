import type { Emit } from './phases.js';

/** What every core service receives besides its plan: cancellation and the event sink. */
export interface RunControl {
  /** Aborts the work (Ctrl-C). Clean-up still runs. */
  signal: AbortSignal;
  /** Aborts the clean-up too (a second Ctrl-C): whatever is left is reported. */
  cleanupSignal?: AbortSignal;
  emit: Emit;
}
