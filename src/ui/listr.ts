import { Listr, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import type { EventSink, OffsiteEvent } from '../core/events.js';
import type { PhaseSpec } from '../core/ebs/phases.js';
import { progressText } from './plain.js';

interface PhaseEnd {
  status: 'ok' | 'failed' | 'skipped' | 'cancelled';
  detail?: string;
}

interface PhaseSlot {
  spec: PhaseSpec;
  resolve: (end: PhaseEnd) => void;
  ended: Promise<PhaseEnd>;
  settled: boolean;
  title?: string;
  task?: ListrTaskWrapper<unknown, never, never>;
}

export interface LivePresenter {
  sink: EventSink;
  /** Resolves when the task list has finished drawing. */
  close(): Promise<void>;
  /** Warnings collected while the list was live (printing them then would tear the display). */
  warnings(): string[];
}

/**
 * Live listr2 tasks for a terminal, driven by the core's events: the list of phases is drawn up front, each task
 * ends when its phase does, progress shows as the task's output (bytes, rate, ETA), and phases that never start
 * are skipped. Signals stay with offsite (listr2's own handler would exit before the clean-up).
 */
export function listrPresenter(phases: PhaseSpec[], stream: NodeJS.WriteStream = process.stderr): LivePresenter {
  const slots = new Map<string, PhaseSlot>();
  for (const spec of phases) {
    let resolve!: (end: PhaseEnd) => void;
    const ended = new Promise<PhaseEnd>((r) => (resolve = r));
    slots.set(spec.id, { spec, resolve, ended, settled: false });
  }
  const order = phases.map((p) => p.id);
  const warnings: string[] = [];
  const settle = (slot: PhaseSlot, end: PhaseEnd): void => {
    if (slot.settled) return;
    slot.settled = true;
    slot.resolve(end);
  };

  const list = new Listr(
    phases.map((spec) => ({
      title: spec.title,
      task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
        const slot = slots.get(spec.id)!;
        slot.task = task;
        if (slot.title) task.title = slot.title;
        const end = await slot.ended;
        if (end.status === 'skipped') task.skip(end.detail ?? `${task.title}: not needed`);
        else if (end.status === 'cancelled') task.skip(`${task.title}: cancelled`);
        else if (end.status === 'failed') throw new Error(`${task.title}: ${end.detail ?? 'failed'}`);
      },
    })),
    {
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: 'default',
      fallbackRenderer: 'simple',
      rendererOptions: { collapseSubtasks: false, outputBar: 1, showErrorMessage: true, processOutput: new ProcessOutput(stream, stream) },
    } as never,
  );
  const running = list.run().catch(() => undefined);

  const sink: EventSink = (event: OffsiteEvent) => {
    switch (event.type) {
      case 'phase-start': {
        const slot = slots.get(event.phase);
        if (!slot) return;
        // Phases are sequential: anything listed before this one that never started was not needed.
        for (const id of order.slice(0, order.indexOf(event.phase))) {
          const earlier = slots.get(id)!;
          settle(earlier, { status: 'skipped', detail: `${earlier.title ?? earlier.spec.title}: not needed` });
        }
        slot.title = event.title;
        if (slot.task) slot.task.title = event.title;
        return;
      }
      case 'phase-end': {
        const slot = slots.get(event.phase);
        if (slot) settle(slot, { status: event.status, ...(event.detail ? { detail: event.detail } : {}) });
        return;
      }
      case 'progress': {
        const slot = slots.get(event.phase);
        if (slot?.task) slot.task.output = progressText(event);
        return;
      }
      case 'warning':
        warnings.push(event.message);
        return;
      case 'result':
      case 'error':
        for (const slot of slots.values()) settle(slot, { status: 'skipped', detail: `${slot.title ?? slot.spec.title}: not needed` });
        return;
      default:
        return;
    }
  };
  return {
    sink,
    close: async () => {
      await running;
    },
    warnings: () => [...warnings],
  };
}
