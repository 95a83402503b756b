import type { EventSink, OffsiteEvent } from '../core/events.js';
import type { JobStatus, JobSummary } from '../core/export/service.js';
import { formatBytes, formatDuration } from '../util/format.js';

/**
 * Presentation for the export commands, on top of the plain presenter: job states as they are seen (not only
 * when they end), and Snowball's DataTransferProgress as a text bar. One line per change, no cursor codes.
 */
export function exportPlainSink(base: EventSink, write: (line: string) => void, options: { quiet: boolean; quietWarnings: boolean }): EventSink {
  return (event: OffsiteEvent) => {
    if (event.type === 'warning' && options.quietWarnings) return;
    if (event.type === 'phase-start' && event.phase === 'job-state') {
      if (!options.quiet) write(`now  ${event.title}`);
      return;
    }
    if (event.type === 'phase-end' && event.phase === 'job-state' && event.status === 'ok') {
      if (!options.quiet && event.detail) write(`done outcome: ${event.detail}`);
      return;
    }
    if (event.type === 'progress' && event.phase === 'data-transfer') {
      if (!options.quiet) write(`     data transfer ${transferBar(event.bytes, event.total ?? event.bytes)}${rateText(event)}`);
      return;
    }
    base(event);
  };
}

export function transferBar(done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${formatBytes(done)} / ${formatBytes(total)}`;
}

function rateText(event: Extract<OffsiteEvent, { type: 'progress' }>): string {
  const parts: string[] = [];
  if (event.bytesPerSecond) parts.push(`${formatBytes(event.bytesPerSecond)}/s`);
  if (event.etaSeconds !== undefined && event.bytes < (event.total ?? 0)) parts.push(`ETA ${formatDuration(event.etaSeconds * 1000)}`);
  return parts.length > 0 ? `, ${parts.join(', ')}` : '';
}

/** get-status as "Field: value" lines (the original printed the raw response). */
export function statusLines(status: JobStatus): string[] {
  const lines = [`JobId: ${status.jobId}`];
  if (status.jobType) lines.push(`JobType: ${status.jobType}`);
  lines.push(`State: ${status.state}${status.final ? ` (final${status.outcome ? `: ${status.outcome}` : ''})` : ''}`);
  if (status.location) lines.push(`Location: ${status.location}`);
  if (status.message) lines.push(`Message: ${status.message}`);
  if (status.creationDate) lines.push(`Created: ${status.creationDate}`);
  const p = status.progress;
  if (p) {
    const objects = p.totalObjects !== undefined ? `, ${p.objectsTransferred ?? 0} / ${p.totalObjects} objects` : '';
    lines.push(`Progress: ${transferBar(p.bytesTransferred, p.totalBytes)}${objects}`);
  }
  for (const [key, value] of Object.entries(status.details)) if (key !== 'location' && key !== 'progress') lines.push(`${key}: ${value}`);
  return lines;
}

/** list-jobs: one tab-separated line per job: id, type, created, state. */
export function jobLines(jobs: JobSummary[]): string[] {
  return jobs.map((j) => [j.jobId, j.jobType ?? '-', j.creationDate ?? '-', j.state ?? (j.cancelled ? 'cancelled' : 'active')].join('\t'));
}
