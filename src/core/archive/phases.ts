import type { PhaseSpec } from '../phases.js';
import type { ArchiveProfile } from './profile.js';

/**
 * `offsite archive` (not --noop, which runs no steps): the snapshot, the archive and its checks as the profile
 * asks for them, the teardown (one step per snapshot, mount or lock released, as each starts), then the mirror.
 */
export function archivePhases(profile: ArchiveProfile): PhaseSpec[] {
  return [
    { id: 'stale', title: 'Look for a snapshot left by an earlier run' },
    { id: 'snapshot', title: 'Create the snapshot' },
    ...(profile.bindMounts.length > 0 ? [{ id: 'bind', title: 'Bind-mount into the snapshot' }] : []),
    { id: 'measure', title: 'Measure the snapshot' },
    { id: 'dar', title: 'Write the dar archive' },
    { id: 'snapshot-check', title: 'Check the snapshot did not overflow' },
    ...(profile.dar.test ? [{ id: 'dar-test', title: 'Test the archive (dar -t)' }] : []),
    ...(profile.dar.isolate ? [{ id: 'dar-isolate', title: 'Isolate the catalogue' }] : []),
    { id: 'record', title: 'Record the archive in its set' },
    { id: 'cleanup:', title: 'Release the snapshot and mounts', many: true },
    ...(profile.rsync ? [{ id: 'rsync', title: 'Mirror the archives (rsync)' }] : []),
  ];
}
