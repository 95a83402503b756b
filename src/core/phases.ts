import type { EventInput } from './events.js';
import { InterruptedError } from '../errors.js';

export type Emit = (event: EventInput) => void;

/** A step a run may go through, for presenters that draw the task list up front. */
export interface PhaseSpec {
  id: string;
  title: string;
  /**
   * A family of steps rather than one: every phase whose id starts with `id` is a step of its own, drawn here as
   * it starts (one per item removed, one per job state). The spec itself draws nothing.
   */
  many?: boolean;
  /**
   * The run's result can still fail a step that ended well (a comparison that found files that differ): the
   * reason it failed, or undefined. The step waits for the result before it shows ✔ or ✖.
   */
  judge?: (result: Record<string, unknown>) => string | undefined;
}

/** Wraps a step in phase-start / phase-end events with its elapsed time and outcome. */
export function phaseRunner(emit: Emit, signal?: AbortSignal) {
  return async function phase<T>(id: string, title: string, work: () => Promise<T>): Promise<T> {
    emit({ type: 'phase-start', phase: id, title });
    const started = Date.now();
    try {
      const value = await work();
      emit({ type: 'phase-end', phase: id, status: 'ok', elapsedMs: Date.now() - started });
      return value;
    } catch (error) {
      const cancelled = signal?.aborted || error instanceof InterruptedError;
      emit({
        type: 'phase-end',
        phase: id,
        status: cancelled ? 'cancelled' : 'failed',
        elapsedMs: Date.now() - started,
        ...(error instanceof Error ? { detail: error.message.split('\n')[0] } : {}),
      });
      throw error;
    }
  };
}

export function skipPhase(emit: Emit, id: string, title: string, detail: string): void {
  emit({ type: 'phase-start', phase: id, title });
  emit({ type: 'phase-end', phase: id, status: 'skipped', elapsedMs: 0, detail });
}
