import type { PhaseSpec } from '../phases.js';

/** `offsite cleanup`: the look-up, then (with --yes) one step per item removed, drawn as each starts. */
export function cleanupPhases(): PhaseSpec[] {
  return [
    { id: 'scan', title: 'Look for what offsite left behind' },
    { id: 'cleanup:', title: 'Remove what is removable', many: true },
  ];
}
