import type { OffsiteEvent, ResourceKind } from '../core/events.js';
import type { PhaseSpec } from '../core/phases.js';
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
  /** A step of a family (see PhaseSpec.many) has started: draw it before the step keyed `before`, or last. */
  add?(key: string, title: string, before: string | undefined): void;
  /** The step's precise title, once the run names it. */
  title(key: string, title: string): void;
  /** The step's live output line (progress), or undefined to clear it. */
  output(key: string, text: string | undefined): void;
  /** The step is over; called once per step (in list order, but for a step waiting for the result to judge it). */
  settle(key: string, outcome: Outcome): void;
}

const CLEANUP = 'cleanup:';

/** What a clean-up step that never ran leaves behind, by the kind of resource it releases. */
const STILL: Partial<Record<ResourceKind, string>> = {
  instance: 'still running',
  volume: 'still exists',
  attachment: 'still attached',
  mount: 'still mounted',
};

/** `judging`: ended well, and waits for the run's result to say whether it holds (PhaseSpec.judge). */
type SlotState = 'waiting' | 'running' | 'judging' | 'settled';

/** A drawn step: a listed phase (keyed by its id) or one member of a family (keyed `id#n`). */
interface Step {
  key: string;
  id: string;
  title: string;
  state: SlotState;
  judge?: PhaseSpec['judge'];
}

/** Where a family's steps go: before this mark, in the order they start. */
interface FamilyMark {
  prefix: string;
}

type Entry = Step | FamilyMark;
const isStep = (entry: Entry): entry is Step => 'key' in entry;

/**
 * Turns the core's events into the fate of each step of a list drawn up front. Steps run in list order, so when a
 * step starts, the waiting ones before it are settled: passed over while the work goes on; not run once the run has
 * stopped. A clean-up step (`cleanup:<kind>`) that never started was not needed only if nothing of its kind is left;
 * otherwise it says what remains (never "Terminate the instance: not needed" while the instance runs). A family
 * (PhaseSpec.many) gains a step each time one of its phases starts, so a list of items is shown as it is worked,
 * never guessed up front.
 */
export class PhaseBoard {
  private readonly entries: Entry[];
  /** The step a phase id now speaks for: its listed step, or the family member that started last. */
  private readonly current = new Map<string, Step>();
  /** Resources created and not yet released, by kind. */
  private readonly live = new Map<ResourceKind, Set<string>>();
  /** Resources the run handed over to the user (a new volume that now holds the backup), by kind. */
  private readonly kept = new Map<ResourceKind, Set<string>>();
  private stopped = false;
  private added = 0;

  constructor(
    phases: PhaseSpec[],
    private readonly view: BoardView,
  ) {
    this.entries = phases.map((spec) =>
      spec.many ? { prefix: spec.id } : { key: spec.id, id: spec.id, title: spec.title, state: 'waiting', ...(spec.judge ? { judge: spec.judge } : {}) },
    );
    for (const entry of this.entries) if (isStep(entry)) this.current.set(entry.id, entry);
  }

  handle(event: OffsiteEvent): void {
    switch (event.type) {
      case 'phase-start':
        return this.start(event.phase, event.title);
      case 'phase-end':
        return this.end(event);
      case 'progress': {
        // Only a running step shows progress: a figure that arrives after its step ended would linger. A figure of
        // no step of its own (a job's data transfer) belongs to the step that runs now.
        const step = this.current.get(event.phase) ?? this.steps().filter((s) => s.state === 'running').at(-1);
        if (step?.state === 'running') this.view.output(step.key, progressText(event));
        return;
      }
      case 'resource-created':
        this.of(this.live, event.kind).add(event.id);
        return;
      case 'resource-released':
        this.of(this.live, event.kind).delete(event.id);
        if (event.action === 'kept') this.of(this.kept, event.kind).add(event.id);
        return;
      case 'result':
        for (const step of this.steps()) {
          const reason = step.state === 'judging' ? step.judge?.(event.result) : undefined;
          if (reason !== undefined) this.settle(step, { kind: 'failed', reason });
        }
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
    if (!this.steps().every((step) => step.state === 'settled')) {
      this.stopped = true;
      this.finish();
    }
  }

  private steps(): Step[] {
    return this.entries.filter(isStep);
  }

  private start(id: string, title: string): void {
    const listed = this.entries.find((entry): entry is Step => isStep(entry) && entry.key === id);
    let step: Step;
    let at: number;
    if (listed) {
      // A step that starts again (a safety net going over the same kind) or out of order keeps its first fate.
      if (listed.state !== 'waiting') return;
      step = listed;
      at = this.entries.indexOf(listed);
    } else {
      const mark = this.entries.findIndex((entry) => !isStep(entry) && id.startsWith(entry.prefix));
      if (mark < 0) return;
      step = { key: `${id}#${++this.added}`, id, title, state: 'waiting' };
      // At its family's place, but never above a step that already began: the list reads in the order things ran.
      const begun = this.entries.findLastIndex((entry) => isStep(entry) && entry.state !== 'waiting');
      at = Math.max(mark, begun + 1);
      const before = this.entries.slice(at).find(isStep);
      this.entries.splice(at, 0, step);
      this.view.add?.(step.key, title, before?.key);
    }
    for (const earlier of this.entries.slice(0, at)) {
      if (isStep(earlier) && earlier.state === 'waiting') this.settle(earlier, this.unstarted(earlier.id, id.startsWith(CLEANUP)));
    }
    step.state = 'running';
    step.title = title;
    this.current.set(id, step);
    this.view.title(step.key, title);
  }

  private end(event: Extract<OffsiteEvent, { type: 'phase-end' }>): void {
    let step = this.current.get(event.phase);
    if (step === undefined || step.state === 'settled') return;
    // A step that ends without having started (skipPhase always starts first, but be lenient) still settles in order.
    if (step.state === 'waiting') {
      this.start(event.phase, step.title);
      step = this.current.get(event.phase)!;
    }
    if (event.status === 'failed' || event.status === 'cancelled') this.stopped = true;
    // A step done with a word of its own (a job's outcome) keeps it in its title.
    if (event.status === 'ok' && event.detail) this.view.title(step.key, (step.title = `${step.title}: ${event.detail}`));
    if (event.status === 'ok' && step.judge) {
      step.state = 'judging';
      this.view.output(step.key, undefined);
      return;
    }
    this.settle(step, outcomeOf(event));
  }

  /** The run is over: everything still listed is settled. */
  private finish(): void {
    for (const step of this.steps()) {
      // A step still running when the run ends was cut short (its phase-end never came).
      if (step.state === 'running') this.settle(step, { kind: 'not-run', reason: 'stopped' });
      // Its work ended well and nothing in the run's end says otherwise.
      else if (step.state === 'judging') this.settle(step, { kind: 'ok' });
      else if (step.state === 'waiting') this.settle(step, this.unstarted(step.id, true));
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

  private settle(step: Step, outcome: Outcome): void {
    step.state = 'settled';
    this.view.output(step.key, undefined);
    this.view.settle(step.key, outcome);
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
