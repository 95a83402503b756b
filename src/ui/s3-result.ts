import type { CedarResult, S3StoreResult } from '../core/s3/plan.js';
import { escapeName } from '../util/escape-name.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { answer, note, type ResultLine } from './result-lines.js';

/** A dry run: what would be sent and removed, one key per line; a store: its summary, then the destination URL. */
export function s3ResultLines(result: S3StoreResult | CedarResult): ResultLine[] {
  if (result.dryRun) {
    return [
      ...(result.wouldUpload ?? []).map((key) => answer(`upload ${escapeName(key)}`)),
      ...(result.wouldRemove ?? []).map((key) => answer(`remove ${escapeName(key)}`)),
      note(`dry run: ${result.wouldUpload?.length ?? 0} of ${result.files} files would be sent to ${result.destination}, ${result.wouldRemove?.length ?? 0} objects removed; nothing was changed`),
    ];
  }
  const extras = [
    result.resumedParts ? `${result.resumedParts} parts resumed` : '',
    result.reusedStaged ? `${result.reusedStaged} already staged` : '',
    result.removed ? `${result.removed} removed` : '',
  ].filter(Boolean);
  const indicator = 'indicator' in result && result.indicator ? `; wrote ${result.indicator}` : '';
  return [
    note(
      `stored ${result.files} files (${formatBytes(result.bytes)}) in ${result.destination}: ${result.uploaded} sent (${formatBytes(result.uploadedBytes)}), ` +
        `${result.unchanged} unchanged${extras.length ? `, ${extras.join(', ')}` : ''}; ${result.verified} verified (${result.checksumAlgorithm} and MD5 of each write as S3 answered, size and ETag as listed)` +
        `${indicator} (${formatDuration(result.elapsedMs)})`,
    ),
    answer(result.destination),
  ];
}
