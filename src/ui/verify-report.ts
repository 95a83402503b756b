import type { VerifyReport } from '../core/verify/plan.js';
import { MARKERS, summaryLine } from '../core/verify/report.js';
import { formatDuration } from '../util/format.js';
import { answer, note, type ResultLine } from './result-lines.js';

const SHOWN_ONLY_REMOTE = 50;

/**
 * The report on stdout: rclone's combined markers for every file that did not match (and, with --verbose, those
 * that did, with their evidence), the checks, the tally, and the original's summary line. s3export words its
 * mismatches as the original did.
 */
export function reportLines(report: VerifyReport, options: { verbose?: boolean; program: string }): string[] {
  const lines: string[] = [];
  const legacy = options.program !== 'offsite';
  let onlyRemote = 0;
  for (const file of report.files) {
    if (file.category === 'match' && !options.verbose) continue;
    if (file.category === 'missing-locally' && ++onlyRemote > SHOWN_ONLY_REMOTE && !options.verbose) continue;
    if (legacy && file.category === 'missing-remotely') lines.push(`Integrity mismatch: Corresponding backup file does not exist for ${file.path}`);
    else if (legacy && file.category === 'differ') lines.push(`Integrity mismatch: Different hashes for ${file.path} (${file.reason})`);
    else {
      const detail = file.category === 'match' ? ` (${file.evidence.join(', ')})` : file.reason ? `: ${file.reason}` : '';
      const side = file.side ? ` [${file.side}]` : '';
      lines.push(`${MARKERS[file.category]} ${file.path}${side}${detail}`);
    }
  }
  if (onlyRemote > SHOWN_ONLY_REMOTE && !options.verbose) lines.push(`- … and ${onlyRemote - SHOWN_ONLY_REMOTE} more only in ${report.target} (--json or --verbose lists them all)`);
  for (const check of report.checks) lines.push(`${check.ok ? 'ok  ' : 'FAIL'} ${check.what}${check.detail ? `: ${check.detail}` : ''}`);
  const c = report.counts;
  const byEvidence = new Map<string, number>();
  for (const file of report.files) if (file.category === 'match') byEvidence.set(file.evidence[0]!, (byEvidence.get(file.evidence[0]!) ?? 0) + 1);
  const evidence = [...byEvidence].sort((a, b) => b[1] - a[1]).map(([what, n]) => `${n} by ${what}`).join(', ');
  lines.push(
    `${report.sampled} of ${report.localFiles} files compared with ${report.target}, seed ${report.sample.seed}${report.sample.slice ? `, slice ${report.sample.slice}` : ''}: ` +
      `${c.match} match, ${c.differ} differ, ${c['missing-remotely']} missing remotely, ${c['missing-locally']} missing locally, ${c.unreadable} unreadable` +
      `${c.unverified ? `, ${c.unverified} unverified` : ''}${evidence ? ` (${evidence})` : ''}; ${formatDuration(report.elapsedMs)}`,
  );
  lines.push(summaryLine(report));
  return lines;
}

/** The warnings, the report on stdout, and what to do about files nothing vouched for. */
export function verifyResultLines(report: VerifyReport, options: { verbose?: boolean; program: string }): ResultLine[] {
  const { program } = options;
  return [
    ...report.warnings.map((warning) => note(`${program}: warning: ${warning}`)),
    ...reportLines(report, options).map(answer),
    ...(report.exitCode === 1 ? [note(`${program}: ${report.counts.unverified} files could not be verified: S3 keeps nothing that vouches for their content; run again with --download`)] : []),
  ];
}
