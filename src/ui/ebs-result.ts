import type { EbsBackupResult } from '../core/ebs/plan.js';
import { escapeName } from '../util/escape-name.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { answer, note, type ResultLine } from './result-lines.js';

/** What was done, where the backup is, and how to get it back. */
export function ebsSummary(dir: string, result: EbsBackupResult): string[] {
  const restore = `restore: offsite restore --volume ${result.volumeId} TARGET${result.snapshotId ? `  (or the point in time: offsite restore --snapshot ${result.snapshotId} TARGET)` : ''}`;
  return [
    ...(result.consistent ? [] : [`warning: files changed during the backup (${result.changedFiles?.[0] ?? 'see above'}…): it is tagged offsite:state=inconsistent, not a good backup`]),
    `backup of ${escapeName(dir)} is on ${result.volumeId} in ${result.availabilityZone} (${result.method}, ${formatBytes(result.bytesTransferred)} sent, ${formatDuration(result.elapsedMs)}${result.createdVolume ? ', new volume' : ''})`,
    restore,
  ];
}

/** The summary for people (unless quiet), then the volume id: the one line a script reads. */
export function ebsResultLines(dir: string, result: EbsBackupResult, options: { quiet?: boolean }): ResultLine[] {
  return [...(options.quiet ? [] : ebsSummary(dir, result).map(note)), answer(result.volumeId)];
}
