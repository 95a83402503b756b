import type { ArchiveResult } from '../core/archive/plan.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { answer, note, type ResultLine } from './result-lines.js';

/** The original tool's stdout, then the summary (or, under --noop, the commands that would run). */
export function archiveResultLines(result: ArchiveResult, options: { quiet?: boolean }): ResultLine[] {
  if (result.noop) {
    return [...result.commands.map(answer), note(`--noop: would make ${result.kind === 'full' ? 'a full' : 'an incremental'} archive ${result.archive} in ${result.set}; nothing was changed`)];
  }
  const lines = result.kind === 'full' ? [answer(`Full backup: ${result.archive}`)] : [answer(`Incremental backup: ${result.archive}`), answer(`Based on parent: ${result.parent}`)];
  if (!options.quiet) {
    lines.push(note(`archived ${result.snapshot} into ${result.set}: ${result.slices.length} slice(s), ${formatBytes(result.bytes)}, ${formatDuration(result.elapsedMs)}${result.mirroredTo ? `; mirrored to ${result.mirroredTo}` : ''}`));
  }
  return lines;
}
