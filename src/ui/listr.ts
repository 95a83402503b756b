import { DefaultRenderer, Listr, ListrEventManager, ListrLogger, ListrTaskState, ProcessOutput } from 'listr2';
import type { EventSink, OffsiteEvent } from '../core/events.js';
import type { PhaseSpec } from '../core/phases.js';
import { PhaseBoard, type Outcome } from './phase-board.js';

/** One row of the list: listr2's own task object, whose state the board's verdicts set directly. */
type Row = Listr<unknown, typeof DefaultRenderer, typeof DefaultRenderer>['tasks'][number];

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

const RENDERER_OPTIONS = { collapseSubtasks: false, outputBar: 1, showErrorMessage: true } as const;

/**
 * Live listr2 tasks for a terminal, driven by the core's events: the listed phases are drawn up front, a family's
 * steps (PhaseSpec.many) are added as they start, each row ends when its phase does (✔, ✖ with its reason,
 * ↓ skipped, ⊘ not run) and progress shows as the running row's output; PhaseBoard decides each step's fate.
 * listr2 only draws: the rows are its task objects set from the events, since the work runs in the core, not in
 * listr2 tasks, and rows must be added while the list is on screen. Signals stay with offsite.
 */
export function listrPresenter(phases: PhaseSpec[], stream: NodeJS.WriteStream = process.stderr): LivePresenter {
  // The holder only makes rows (listr2's tasks); it never runs.
  const holder = new Listr<unknown, typeof DefaultRenderer, typeof DefaultRenderer>([], {
    exitOnError: false,
    registerSignalListeners: false,
    renderer: 'silent',
  } as never);
  const rows = new Map<string, Row>();
  const outputs = new Map<string, string>();
  const warnings: string[] = [];
  let notice: string | undefined;

  const makeRow = (title: string, before: string | undefined): Row => {
    holder.add({ title, task: () => undefined });
    const row = holder.tasks.pop()!;
    // Enabled without being run: a row listr2 has not checked is not drawn.
    (row as unknown as { enabled: boolean }).enabled = true;
    const at = before === undefined ? -1 : holder.tasks.indexOf(rows.get(before)!);
    if (at < 0) holder.tasks.push(row);
    else holder.tasks.splice(at, 0, row);
    return row;
  };
  for (const spec of phases) if (!spec.many) rows.set(spec.id, makeRow(spec.title, undefined));

  const outputOf = (key: string): string => outputs.get(key) ?? notice ?? '';
  const running = (row: Row): boolean => row.state === ListrTaskState.STARTED;
  const board = new PhaseBoard(phases, {
    add: (key, title, before) => void rows.set(key, makeRow(title, before)),
    title(key, title) {
      const row = rows.get(key)!;
      row.title$ = title;
      if (!running(row) && !row.hasFinalized()) {
        row.state$ = ListrTaskState.STARTED;
        row.output$ = outputOf(key);
      }
    },
    output(key, text) {
      if (text === undefined) outputs.delete(key);
      else outputs.set(key, text);
      const row = rows.get(key)!;
      if (running(row)) row.output$ = outputOf(key);
    },
    settle: (key, outcome) => show(rows.get(key)!, outcome),
  });

  const renderer = new LiveRenderer(
    holder.tasks,
    // The renderer draws through its logger's process output: without this it would draw on stdout.
    { ...RENDERER_OPTIONS, logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput: new ProcessOutput(stream, stream) }) } as never,
    // Not the rows' own events, which would redraw the whole list on every change: a burst of steps (a clean-up
    // of many items) costs one frame per tick, not one per event.
    new ListrEventManager(),
  );
  // The renderer takes a row's output from the first frame that shows the row; what came before is given again.
  const drawn = new WeakSet<Row>();
  renderer.afterDraw = () => {
    for (const [key, row] of rows) {
      if (drawn.has(row)) continue;
      drawn.add(row);
      if (running(row) && outputOf(key)) row.output$ = outputOf(key);
    }
  };
  // Whether the list got on screen (a renderer that failed to load has nothing to end).
  const drawing = renderer.render().then(
    () => (renderer.update(), true),
    () => false,
  );

  const sink: EventSink = (event: OffsiteEvent) => {
    if (event.type === 'warning') warnings.push(event.message);
    board.handle(event);
  };
  return {
    sink,
    close: async () => {
      board.close();
      if (await drawing) renderer.end();
    },
    warnings: () => [...warnings],
    notice: (text) => {
      notice = text;
      for (const [key, row] of rows) if (running(row)) row.output$ = outputOf(key);
    },
  };
}

/**
 * listr2's default renderer, told it may draw: listr2 asks whether *stdout* is a terminal, but the list goes to
 * stderr (stdout carries the volume id), and the caller already checked that stream.
 */
class LiveRenderer extends DefaultRenderer {
  static override nonTTY = true;
  /** Runs after every frame. */
  afterDraw?: () => void;

  override update(): void {
    super.update();
    this.afterDraw?.();
  }
}

/** Ends a row the way its step ended. */
function show(row: Row, outcome: Outcome): void {
  const title = row.title ?? '';
  switch (outcome.kind) {
    case 'ok':
      row.state$ = ListrTaskState.COMPLETED;
      return;
    case 'failed':
      row.message$ = { error: `${title}: ${outcome.reason}` };
      row.state$ = ListrTaskState.FAILED;
      return;
    case 'skipped':
      row.message$ = { skip: outcome.reason ? `${title}: ${outcome.reason}` : title };
      row.state$ = ListrTaskState.SKIPPED;
      return;
    case 'not-run':
      // listr2 has no "not run" of its own; its cancelled state (⊘) says it.
      row.title$ = `${title}: ${outcome.reason}`;
      row.state$ = ListrTaskState.CANCELLED;
      return;
  }
}
