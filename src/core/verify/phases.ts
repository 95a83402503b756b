import type { PhaseSpec } from '../phases.js';
import type { VerifyReport } from './plan.js';

/** What the report found wrong, for the comparison step: files that differ fail it even though it ran to the end. */
function differences(result: Record<string, unknown>): string | undefined {
  const report = result as unknown as VerifyReport;
  if (report.exitCode === 0) return undefined;
  const c = report.counts;
  const parts = [
    c.differ ? `${c.differ} differ` : '',
    c['missing-remotely'] ? `${c['missing-remotely']} missing remotely` : '',
    c['missing-locally'] ? `${c['missing-locally']} missing locally` : '',
    c.unreadable ? `${c.unreadable} unreadable` : '',
    c.unverified ? `${c.unverified} unverified` : '',
    ...report.checks.filter((check) => !check.ok).map((check) => `failed: ${check.what}`),
  ].filter(Boolean);
  return parts.join(', ') || 'differences found';
}

const COMPARE: PhaseSpec[] = [
  { id: 'list', title: 'List the local files' },
  { id: 'compare', title: 'Compare the chosen files', judge: differences },
];

/** `verify --bucket`: a directory is compared as it is; a disk or image is opened read-only first and released after. */
export function verifyS3Phases(source: 'dir' | 'device' | 'image'): PhaseSpec[] {
  if (source === 'dir') return COMPARE;
  return [{ id: 'open', title: 'Open the disk read-only' }, ...COMPARE, { id: 'cleanup:', title: 'Release the disk', many: true }];
}

/**
 * `verify --volume`: the volume on a temporary instance, as for the backup. Which backup it holds (a dd image or an
 * rsync mirror) is read from its tags as the run goes, so the steps of one kind only are drawn as they start.
 */
export function verifyVolumePhases(): PhaseSpec[] {
  return [
    { id: 'volume-check', title: 'Check the volume' },
    { id: 'instance', title: 'Launch the instance' },
    { id: 'attach', title: 'Attach the volume' },
    { id: 'ssh', title: 'Connect over SSH (verified host key)' },
    { id: 'device', title: 'Find the volume on the instance' },
    { id: 'image', title: 'Check the dd image against its tag', many: true },
    { id: 'inspect', title: 'Inspect the volume', many: true },
    { id: 'mount', title: 'Mount the volume read-only', many: true },
    ...COMPARE,
    { id: 'unmount', title: 'Unmount the volume', many: true },
    { id: 'cleanup:mount', title: 'Unmount after a failure', many: true },
    { id: 'cleanup:attachment', title: 'Detach the volume' },
    { id: 'cleanup:volume', title: 'Delete a stray volume', many: true },
    { id: 'cleanup:instance', title: 'Terminate the instance' },
  ];
}
