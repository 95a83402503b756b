import type { OffsiteEvent, EventSink } from '../core/events.js';
import { formatBytes, formatDuration } from '../core/util/format.js';

export interface PlainOptions {
  /** Show log lines and every phase (otherwise only warnings, errors and phases that take a while). */
  verbose: boolean;
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
  return (event: OffsiteEvent) => {
    const line = plainLine(event, options.verbose, options.program);
    if (event.type === 'progress') {
      const now = Date.now();
      const last = lastProgress.get(event.phase) ?? 0;
      if (now - last < interval) return;
      lastProgress.set(event.phase, now);
    }
    if (line !== undefined) write(line);
  };
}

export function plainLine(event: OffsiteEvent, verbose: boolean, program: string): string | undefined {
  switch (event.type) {
    case 'run-start':
      return verbose ? `run ${event.runId}: ${event.command}` : undefined;
    case 'phase-start':
      return verbose ? `> ${event.title}` : undefined;
    case 'phase-end': {
      // Quiet runs report a failure once, through the error event.
      if (!verbose) return undefined;
      const mark = { ok: 'ok', failed: 'FAILED', skipped: 'skipped', cancelled: 'cancelled' }[event.status];
      const detail = event.detail ? `: ${event.detail}` : '';
      return `  ${event.phase} ${mark} (${formatDuration(event.elapsedMs)})${detail}`;
    }
    case 'progress':
      return verbose ? `  ${event.phase}: ${progressText(event)}` : undefined;
    case 'resource-created':
      return verbose ? `  + ${event.kind} ${event.id}${event.detail ? ` (${event.detail})` : ''}` : undefined;
    case 'resource-released':
      return verbose ? `  - ${event.kind} ${event.id} ${event.action}` : undefined;
    case 'log':
      return verbose ? `  ${event.message}` : undefined;
    case 'warning':
      return `${program}: warning: ${event.message}`;
    case 'result':
      return undefined;
    case 'error':
      return `${program}: ${event.message}`;
  }
}

export function progressText(event: Extract<OffsiteEvent, { type: 'progress' }>): string {
  const parts = [event.total ? `${formatBytes(event.bytes)} / ${formatBytes(event.total)} (${Math.floor((100 * event.bytes) / Math.max(1, event.total))}%)` : formatBytes(event.bytes)];
  if (event.bytesPerSecond !== undefined) parts.push(`${formatBytes(event.bytesPerSecond)}/s`);
  if (event.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(event.etaSeconds * 1000)}`);
  return parts.join(', ');
}
