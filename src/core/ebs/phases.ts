import type { PhaseSpec } from '../phases.js';
import type { BackupMethod } from './plan.js';


/**
 * The phases an EBS backup may go through, in order, with neutral titles (the run replaces them with precise
 * ones as it goes). Presenters that draw a task list up front use this; phases that never start are skipped.
 */
export function ebsPhases(method: BackupMethod, options: { existingVolume: boolean; snapshot?: boolean }): PhaseSpec[] {
  const transfer: PhaseSpec[] =
    method === 'dd'
      ? [
          { id: 'dd', title: 'Stream tar into dd on the volume' },
          { id: 'verify', title: 'Check the image read back from the device (O_DIRECT, SHA-256)' },
        ]
      : [
          { id: 'inspect', title: 'Inspect the volume' },
          { id: 'mkfs', title: 'Make a filesystem (mke2fs) if blank' },
          { id: 'mount', title: 'Mount the volume' },
          { id: 'rsync', title: 'rsync the directory' },
          { id: 'recheck', title: 'Check that no file changed meanwhile' },
          { id: 'unmount', title: 'Unmount the volume' },
        ];
  return [
    { id: 'measure', title: 'Measure the directory' },
    ...(options.existingVolume ? [{ id: 'volume-check', title: 'Check the volume' }] : []),
    { id: 'instance', title: 'Launch the instance' },
    ...(options.existingVolume ? [] : [{ id: 'volume', title: 'Create the volume' }]),
    { id: 'attach', title: 'Attach the volume' },
    { id: 'ssh', title: 'Connect over SSH (verified host key)' },
    { id: 'device', title: 'Find the volume on the instance' },
    ...(options.existingVolume ? [{ id: 'proof', title: 'Mark the volume as being written' }] : []),
    ...transfer,
    ...(options.snapshot ? [{ id: 'snapshot', title: 'Snapshot the volume' }] : []),
    ...(method === 'rsync' ? [{ id: 'cleanup:mount', title: 'Unmount after a failure' }] : []),
    { id: 'cleanup:attachment', title: 'Detach the volume' },
    ...(options.existingVolume ? [] : [{ id: 'cleanup:volume', title: 'Delete the unfinished volume' }]),
    { id: 'cleanup:instance', title: 'Terminate the instance' },
    ...(options.existingVolume ? [{ id: 'cleanup:lock', title: 'Release the volume' }] : []),
  ];
}
