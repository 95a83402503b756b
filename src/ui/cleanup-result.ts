import type { CleanupItem, CleanupResult } from '../core/cleanup/item.js';
import { advised, neutralWording, type Wording } from '../errors.js';
import { escapeName } from '../util/escape-name.js';
import { formatDuration } from '../util/format.js';
import { answer, note, type ResultLine } from './result-lines.js';
import { formatTable } from './table.js';

/** The table of items on stdout, then one line that says what is left and the command that removes it. */
export function cleanupResultLines(result: CleanupResult, options: { quiet?: boolean; yes?: boolean; run?: string }, words: Wording = neutralWording): ResultLine[] {
  const lines = result.items.length > 0 ? cleanupTable(result.items, Date.now(), words).map(answer) : [];
  if (!options.quiet || result.left > 0) lines.push(note(`offsite: ${summary(result, options)}`));
  return lines;
}

function summary(result: CleanupResult, options: { yes?: boolean; run?: string }): string {
  if (result.left === 0) return options.yes && result.removed > 0 ? `removed ${result.removed}; nothing is left behind` : 'nothing is left behind';
  if (options.yes) return `removed ${result.removed}, ${result.left} still left behind (see the table)`;
  return `${result.left} left behind; remove what is removable with: offsite cleanup${options.run ? ` --run ${options.run}` : ''} --yes`;
}

/** KIND, ID, RUN, AGE, ACTION, WHY: one line per item, every name escaped; the advice in the face's words. */
export function cleanupTable(items: CleanupItem[], now = Date.now(), words: Wording = neutralWording): string[] {
  return formatTable(
    ['KIND', 'ID', 'RUN', 'AGE', 'ACTION', 'WHY'],
    items.map((item) => [
      item.kind,
      escapeName(item.id),
      item.runId ? escapeName(item.runId) : '-',
      item.created ? formatDuration(Math.max(0, now - Date.parse(item.created))) : '-',
      item.outcome === 'removed' ? 'removed' : item.outcome === 'failed' ? 'FAILED' : item.removable ? item.action : item.action === 'by-hand' ? 'by hand' : 'keep',
      escapeName(item.outcome === 'failed' ? `${item.reason}; ${item.error ?? ''}` : advised(item.reason, item.advice, words)),
    ]),
  );
}
