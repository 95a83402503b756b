import type { OffsiteEvent, ResourceKind } from '../core/events.js';
import type { PhaseSpec } from '../core/ebs/phases.js';
import { progressText } from './plain.js';

/**
 * How a listed step ended, as a task list shows it:
 * - `ok`: done (✔); `failed`: it failed, with its one-line reason (✖);
 * - `skipped`: the service said it did not need doing, or passed it over (↓);
 * - `not-run`: it never ran or was cut short because the run stopped, or a clean-up it needed never happened (⊘).
 */
export type Outcome =
  | { kind: 'ok' }
  | { kind: 'failed'; reason: string }
  | { kind: 'skipped'; reason?: string }
  | { kind: 'not-run'; reason: string };

export interface BoardView {
  /** The step's precise title, once the run names it. */
  title(id: string, title: string): void;
  /** The step's live output line (progress), or undefined to clear it. */
  output(id: string, text: string | undefined): void;
  /** The step is over; called once per listed step, in list order. */
  settle(id: string, outcome: Outcome): void;
}

const CLEANUP = 'cleanup:';

/** What a clean-up step that never ran leaves behind, by the kind of resource it releases. */
const STILL: Partial<Record<ResourceKind, string>> = {
  instance: 'still running',
  volume: 'still exists',
  attachment: 'still attached',
  mount: 'still mounted',
};

type SlotState = 'waiting' | 'running' | 'settled';

/**
 * Turns the core's events into the fate of each step of a list drawn up front. Steps run in list order, so when a
 * step starts, the waiting ones before it are settled: passed over while the work goes on; not run once the run has
 * stopped. A clean-up step (`cleanup:<kind>`) that never started was not needed only if nothing of its kind is left;
 * otherwise it says what remains (never "Terminate the instance: not needed" while the instance runs).
 */
export class PhaseBoard {
  private readonly state = new Map<string, SlotState>();
  private readonly titles = new Map<string, string>();
  /** Resources created and not yet released, by kind. */
  private readonly live = new Map<ResourceKind, Set<string>>();
  /** Resources the run handed over to the user (a new volume that now holds the backup), by kind. */
  private readonly kept = new Map<ResourceKind, Set<string>>();
  private stopped = false;

  constructor(
    private readonly phases: PhaseSpec[],
    private readonly view: BoardView,
  ) {
    for (const spec of phases) {
      this.state.set(spec.id, 'waiting');
      this.titles.set(spec.id, spec.title);
    }
  }

  handle(event: OffsiteEvent): void {
    switch (event.type) {
      case 'phase-start':
        return this.start(event.phase, event.title);
      case 'phase-end':
        return this.end(event);
      case 'progress':
        // Only a running step shows progress: a figure that arrives after its step ended would linger.
        if (this.state.get(event.phase) === 'running') this.view.output(event.phase, progressText(event));
        return;
      case 'resource-created':
        this.of(this.live, event.kind).add(event.id);
        return;
      case 'resource-released':
        this.of(this.live, event.kind).delete(event.id);
        if (event.action === 'kept') this.of(this.kept, event.kind).add(event.id);
        return;
      case 'result':
        return this.finish();
      case 'error':
        this.stopped = true;
        return this.finish();
      default:
        return;
    }
  }

  /** The presenter is closing: a run that never reported its end (result or error) stopped. */
  close(): void {
    if (![...this.state.values()].every((state) => state === 'settled')) {
      this.stopped = true;
      this.finish();
    }
  }

  private start(id: string, title: string): void {
    // A step that starts again (a safety net going over the same kind) or out of order keeps its first fate.
    if (this.state.get(id) !== 'waiting') return;
    const index = this.phases.findIndex((p) => p.id === id);
    for (const earlier of this.phases.slice(0, index)) {
      if (this.state.get(earlier.id) === 'waiting') this.settle(earlier.id, this.unstarted(earlier.id, id.startsWith(CLEANUP)));
    }
    this.state.set(id, 'running');
    this.titles.set(id, title);
    this.view.title(id, title);
  }

  private end(event: Extract<OffsiteEvent, { type: 'phase-end' }>): void {
    const id = event.phase;
    const state = this.state.get(id);
    if (state === undefined || state === 'settled') return;
    // A step that ends without having started (skipPhase always starts first, but be lenient) still settles in order.
    if (state === 'waiting') this.start(id, this.titles.get(id)!);
    if (event.status === 'failed' || event.status === 'cancelled') this.stopped = true;
    this.settle(id, outcomeOf(event));
  }

  /** The run is over: everything still listed is settled. */
  private finish(): void {
    for (const spec of this.phases) {
      const state = this.state.get(spec.id);
      // A step still running when the run ends was cut short (its phase-end never came).
      if (state === 'running') this.settle(spec.id, { kind: 'not-run', reason: 'stopped' });
      else if (state === 'waiting') this.settle(spec.id, this.unstarted(spec.id, true));
    }
  }

  /** The fate of a step that never started, once a later step started (or the run ended). */
  private unstarted(id: string, workOver: boolean): Outcome {
    if (id.startsWith(CLEANUP)) {
      const kind = id.slice(CLEANUP.length) as ResourceKind;
      const left = [...(this.live.get(kind) ?? [])];
      const kept = [...(this.kept.get(kind) ?? [])];
      if (left.length === 0) return { kind: 'skipped', reason: kept.length > 0 ? `not needed: ${kept.join(', ')} kept` : 'not needed' };
      return { kind: 'not-run', reason: `not run: ${left.join(', ')} ${STILL[kind] ?? 'left behind'}` };
    }
    return this.stopped || workOver ? { kind: 'not-run', reason: 'not run' } : { kind: 'skipped' };
  }

  private settle(id: string, outcome: Outcome): void {
    this.state.set(id, 'settled');
    this.view.output(id, undefined);
    this.view.settle(id, outcome);
  }

  private of(map: Map<ResourceKind, Set<string>>, kind: ResourceKind): Set<string> {
    let set = map.get(kind);
    if (!set) map.set(kind, (set = new Set()));
    return set;
  }
}

function outcomeOf(event: Extract<OffsiteEvent, { type: 'phase-end' }>): Outcome {
  switch (event.status) {
    case 'ok':
      return { kind: 'ok' };
    case 'failed':
      return { kind: 'failed', reason: event.detail ?? 'failed' };
    case 'skipped':
      return { kind: 'skipped', reason: event.detail ?? 'not needed' };
    case 'cancelled':
      return { kind: 'not-run', reason: 'interrupted' };
  }
}
