import { DefaultRenderer, Listr, ListrLogger, ListrTaskState, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import type { EventSink, OffsiteEvent } from '../core/events.js';
import type { PhaseSpec } from '../core/ebs/phases.js';
import { PhaseBoard, type Outcome } from './phase-board.js';

type Task = ListrTaskWrapper<unknown, typeof LiveRenderer, typeof LiveRenderer>;

/**
 * listr2's default renderer, told it may draw: listr2 asks whether *stdout* is a terminal, but the list goes to
 * stderr (stdout carries the volume id), and the caller already checked that stream.
 */
class LiveRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

interface Slot {
  title: string;
  output?: string;
  task?: Task;
  settle: (outcome: Outcome) => void;
  outcome: Promise<Outcome>;
}

export interface LivePresenter {
  sink: EventSink;
  /** Resolves when the task list has finished drawing (a run that never reported its end is treated as stopped). */
  close(): Promise<void>;
  /** Warnings collected while the list was live (printing them then would tear the display). */
  warnings(): string[];
  /**
   * A line the operator must see now ("interrupted: cleaning up, press Ctrl-C again to …"): shown under whichever
   * step runs (and every later one) when it has no progress of its own; a plain write would wait for the list's end.
   */
  notice(text: string): void;
}

/**
 * Live listr2 tasks for a terminal, driven by the core's events: the list of phases is drawn up front, each task
 * ends when its phase does (✔, ✖ with its reason, ↓ skipped, ⊘ not run), progress shows as the running task's
 * output; PhaseBoard decides each step's fate. Signals stay with offsite (listr2's own handler would exit before
 * the clean-up).
 */
export function listrPresenter(phases: PhaseSpec[], stream: NodeJS.WriteStream = process.stderr): LivePresenter {
  const slots = new Map<string, Slot>();
  for (const spec of phases) {
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    slots.set(spec.id, { title: spec.title, settle, outcome });
  }
  const warnings: string[] = [];
  let notice: string | undefined;
  let active: Slot | undefined;
  const outputOf = (slot: Slot): string => slot.output ?? notice ?? '';
  const board = new PhaseBoard(phases, {
    title(id, title) {
      const slot = slots.get(id)!;
      slot.title = title;
      if (slot.task) slot.task.title = title;
    },
    output(id, text) {
      const slot = slots.get(id)!;
      slot.output = text;
      if (slot.task) slot.task.output = outputOf(slot);
    },
    settle: (id, outcome) => slots.get(id)!.settle(outcome),
  });

  const list = new Listr(
    phases.map((spec) => ({
      title: spec.title,
      task: async (_ctx: unknown, task: Task) => {
        const slot = slots.get(spec.id)!;
        slot.task = task;
        active = slot;
        task.title = slot.title;
        task.output = outputOf(slot);
        const outcome = await slot.outcome;
        active = undefined;
        show(task, slot.title, outcome);
      },
    })),
    {
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: LiveRenderer,
      rendererOptions: {
        collapseSubtasks: false,
        outputBar: 1,
        showErrorMessage: true,
        // The renderer draws through its logger's process output: without this it would draw on stdout.
        logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput: new ProcessOutput(stream, stream) }),
      },
    } as never,
  );
  const running = list.run().catch(() => undefined);

  const sink: EventSink = (event: OffsiteEvent) => {
    if (event.type === 'warning') warnings.push(event.message);
    board.handle(event);
  };
  return {
    sink,
    close: async () => {
      board.close();
      await running;
    },
    warnings: () => [...warnings],
    notice: (text) => {
      notice = text;
      if (active?.task) active.task.output = outputOf(active);
    },
  };
}

/** Ends a task the way its step ended. */
function show(task: Task, title: string, outcome: Outcome): void {
  switch (outcome.kind) {
    case 'ok':
      return;
    case 'failed':
      throw new Error(`${title}: ${outcome.reason}`);
    case 'skipped':
      task.skip(outcome.reason ? `${title}: ${outcome.reason}` : title);
      return;
    case 'not-run':
      // listr2 has no "not run" of its own; its cancelled state (⊘) says it, and it stays once the task returns.
      task.title = `${title}: ${outcome.reason}`;
      task.task.state$ = ListrTaskState.CANCELLED;
      return;
  }
}
