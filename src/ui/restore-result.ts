import type { RestorableEntry } from '../core/restore/list.js';
import type { RestoreResult } from '../core/restore/plan.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { answer, note, type ResultLine } from './result-lines.js';
import { formatTable } from './table.js';

/** A dry run's listing on stdout; the summary (unless quiet) on stderr. */
export function restoreResultLines(result: RestoreResult, options: { quiet?: boolean }): ResultLine[] {
  return [...(result.dryRun ? (result.entries ?? []).map(answer) : []), ...(options.quiet ? [] : [note(restoreSummary(result))])];
}

export function restoreSummary(result: RestoreResult): string {
  const counts = `${result.files} files, ${formatBytes(result.bytes)}, ${result.verified} verified, ${result.skipped} skipped`;
  if (result.dryRun) return `dry run: ${result.files} entries of ${result.source} (${result.method}) would be restored into ${result.target}; proof: ${result.proof}; ${formatDuration(result.elapsedMs)}`;
  return `restored ${result.source} (${result.method}) into ${result.target}: ${counts}; proof: ${result.proof}; ${formatDuration(result.elapsedMs)}`;
}

/** `offsite restore --list`: one row per volume or snapshot offsite can restore from. */
export function restorableLines(backups: RestorableEntry[], options: { quiet?: boolean }): ResultLine[] {
  const rows = backups.map((b) => [b.id, b.source, b.method, b.time, `${b.sizeGiB} GiB`, b.restorable ? b.state : `${b.state} (needs --force)`, b.detail]);
  const lines = formatTable(['ID', 'SOURCE', 'METHOD', 'TIME', 'SIZE', 'STATE', 'WHERE'], rows).map(answer);
  if (backups.length === 0 && !options.quiet) lines.push(note('offsite: no EBS volumes or snapshots carry offsite backup tags in this region'));
  return lines;
}
