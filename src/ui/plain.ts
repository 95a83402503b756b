import type { OffsiteEvent, EventSink } from '../core/events.js';
import { formatBytes, formatDuration } from '../util/format.js';

export type PlainLevel = 'quiet' | 'normal' | 'verbose';

export interface PlainOptions {
  /** quiet: warnings and errors; normal: finished steps and progress; verbose: also step starts, resources and log lines. */
  level: PlainLevel;
  /** Minimum time between two progress lines of one phase. */
  progressIntervalMs?: number;
  /** Prefix for warnings and errors, e.g. "ec2-backup". */
  program: string;
}

/**
 * Plain lines for logs, pipes and CI: one line per state change and throttled progress lines,
 * never a cursor movement or an erase code.
 */
export function plainPresenter(write: (line: string) => void, options: PlainOptions): EventSink {
  const interval = options.progressIntervalMs ?? 2_000;
  const lastProgress = new Map<string, number>();
  const titles = new Map<string, string>();
  // A figure that arrives after its step ended (a final count) would read as a step still going.
  const ended = new Set<string>();
  return (event: OffsiteEvent) => {
    if (event.type === 'phase-start') {
      titles.set(event.phase, event.title);
      ended.delete(event.phase);
    }
    if (event.type === 'phase-end') ended.add(event.phase);
    if (event.type === 'progress') {
      if (ended.has(event.phase)) return;
      const now = Date.now();
      if (now - (lastProgress.get(event.phase) ?? 0) < interval) return;
      lastProgress.set(event.phase, now);
    }
    const line = plainLine(event, options.level, options.program, titles);
    if (line !== undefined) write(line);
  };
}

export function plainLine(event: OffsiteEvent, level: PlainLevel, program: string, titles: Map<string, string> = new Map()): string | undefined {
  const normal = level !== 'quiet';
  const verbose = level === 'verbose';
  switch (event.type) {
    case 'run-start':
      return verbose ? `run ${event.runId}: ${event.command}` : undefined;
    case 'phase-start':
      return verbose ? `> ${event.title}` : undefined;
    case 'phase-end': {
      // Quiet runs report a failure once, through the error event.
      if (!normal) return undefined;
      const title = titles.get(event.phase) ?? event.phase;
      const took = `(${formatDuration(event.elapsedMs)})`;
      if (event.status === 'ok') return `ok   ${title} ${took}`;
      if (event.status === 'skipped') return `skip ${title}${event.detail ? `: ${event.detail}` : ''}`;
      if (event.status === 'cancelled') return `stop ${title} ${took}`;
      return `FAIL ${title} ${took}${event.detail ? `: ${event.detail}` : ''}`;
    }
    case 'progress':
      return normal ? `     ${event.phase}: ${progressText(event)}` : undefined;
    case 'resource-created':
      return verbose ? `     + ${event.kind} ${event.id}${event.detail ? ` (${event.detail})` : ''}` : undefined;
    case 'resource-released':
      return verbose ? `     - ${event.kind} ${event.id} ${event.action}` : undefined;
    case 'log':
      return verbose ? `     ${event.message}` : undefined;
    case 'warning':
      return `${program}: warning: ${event.message}`;
    case 'result':
      return undefined;
    case 'error':
      return `${program}: ${event.message}`;
  }
}

export function progressText(event: Extract<OffsiteEvent, { type: 'progress' }>): string {
  const parts = [
    event.total
      ? `${formatBytes(event.bytes)} / ${formatBytes(event.total)} (${Math.floor((100 * event.bytes) / Math.max(1, event.total))}%)`
      : formatBytes(event.bytes),
  ];
  if (event.bytesPerSecond !== undefined) parts.push(`${formatBytes(event.bytesPerSecond)}/s`);
  // The ETA is for work still to do; under a second it is "<1s" rather than a count of milliseconds.
  if (event.etaSeconds !== undefined && (event.total === undefined || event.bytes < event.total)) {
    parts.push(`ETA ${event.etaSeconds < 1 ? '<1s' : formatDuration(Math.ceil(event.etaSeconds) * 1000)}`);
  }
  return parts.join(', ');
}
