import type { PhaseSpec } from '../phases.js';

/** The phases an EBS restore may go through, for presenters that draw the task list up front. */
export function ebsRestorePhases(fromSnapshot: boolean): PhaseSpec[] {
  return [
    { id: 'volume-check', title: fromSnapshot ? 'Check the snapshot' : 'Check the volume' },
    { id: 'instance', title: 'Launch the instance' },
    ...(fromSnapshot ? [{ id: 'volume', title: 'Create a temporary volume from the snapshot' }] : []),
    { id: 'attach', title: 'Attach the volume' },
    { id: 'ssh', title: 'Connect over SSH (verified host key)' },
    { id: 'device', title: 'Find the volume on the instance' },
    { id: 'inspect', title: 'Inspect the volume (rsync)' },
    { id: 'mount', title: 'Mount the volume read-only (rsync)' },
    { id: 'restore', title: 'Restore into staging (dd: proving the image as it streams)' },
    { id: 'verify', title: 'Compare with the volume by checksum (rsync)' },
    { id: 'unmount', title: 'Unmount the volume (rsync)' },
    { id: 'promote', title: 'Move the restored tree into place' },
    { id: 'cleanup:mount', title: 'Unmount after a failure' },
    { id: 'cleanup:attachment', title: 'Detach the volume' },
    ...(fromSnapshot ? [{ id: 'cleanup:volume', title: 'Delete the temporary volume' }] : []),
    { id: 'cleanup:instance', title: 'Terminate the instance' },
  ];
}

export function s3RestorePhases(): PhaseSpec[] {
  return [
    { id: 'list', title: 'List the objects and read the tree manifest' },
    { id: 'download', title: 'Download, decrypt and prove every object' },
    { id: 'tree', title: 'Recreate directories, symlinks, modes and mtimes' },
    { id: 'promote', title: 'Move the restored tree into place' },
  ];
}

export function archiveRestorePhases(): PhaseSpec[] {
  return [
    { id: 'test', title: 'Test every archive of the chain (dar -t)' },
    { id: 'extract', title: 'Extract FULL, then each INC (dar -x)' },
    { id: 'promote', title: 'Move the restored tree into place' },
  ];
}
