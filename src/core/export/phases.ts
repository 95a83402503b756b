import type { PhaseSpec } from '../phases.js';

/**
 * `export create-job`: a dry run only validates; Snowball only creates the job; Import/Export prepares the device
 * (a whole disk is partitioned first, so that step is drawn when it starts), creates the job and stores its
 * SIGNATURE, then releases what it made (one step per mount or directory, as each starts).
 */
export function createJobPhases(options: { service: 'importexport' | 'snowball'; dryRun: boolean; skipFormat: boolean }): PhaseSpec[] {
  if (options.dryRun) return [{ id: 'validate', title: 'Validate the job' }];
  if (options.service === 'snowball') return [{ id: 'create-job', title: 'Create the Snowball export job' }];
  return [
    { id: 'validate', title: 'Validate the job before touching the device' },
    options.skipFormat ? { id: 'filesystem', title: 'Find the filesystem on the device' } : { id: 'partition', title: 'Partition the disk', many: true },
    { id: 'mkfs', title: 'Make an ext4 filesystem' },
    { id: 'mount', title: 'Mount the filesystem' },
    { id: 'create-job', title: 'Create the export job' },
    { id: 'signature', title: 'Store the SIGNATURE on the device' },
    options.skipFormat ? { id: 'unmount', title: 'Unmount the filesystem', many: true } : { id: 'unmount', title: 'Unmount the filesystem' },
    { id: 'cleanup:', title: 'Release what was made', many: true },
  ];
}

/** The job commands: one step each; `get-status --watch` adds a step per state the job enters, as it is seen. */
export function jobPhases(command: 'get-status' | 'list-jobs' | 'cancel-job' | 'get-shipping-label' | 'get-job-manifest' | 'get-unlock-code', watch = false): PhaseSpec[] {
  const titles = {
    'get-status': watch ? 'Watch the job until it is over' : 'Get the status of the job',
    'list-jobs': 'List jobs (all pages)',
    'cancel-job': 'Cancel the job',
    'get-shipping-label': 'Get the shipping label',
    'get-job-manifest': 'Get the job manifest',
    'get-unlock-code': 'Get the unlock code',
  };
  return [{ id: command, title: titles[command] }, ...(watch ? [{ id: 'job-state', title: 'Job states', many: true }] : [])];
}
