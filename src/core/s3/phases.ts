import type { PhaseSpec } from '../phases.js';

/**
 * The steps of `offsite s3 DIR s3://…` in the order storeDirectory takes them, for the live task list: a dry run
 * ends with the comparison, and encryption is a step only when files are encrypted.
 */
export function s3StorePhases(options: { encrypted: boolean; dryRun: boolean }): PhaseSpec[] {
  const compare: PhaseSpec[] = [
    { id: 'scan', title: 'Scan the directory' },
    { id: 'list', title: 'List the destination' },
    { id: 'hash', title: 'Checksum new and changed files' },
    { id: 'check', title: 'Compare with the destination' },
  ];
  if (options.dryRun) return compare;
  return [
    ...compare,
    ...(options.encrypted ? [{ id: 'encrypt', title: 'Encrypt what is sent' }] : []),
    { id: 'upload', title: 'Upload' },
    { id: 'promote', title: 'Copy proved objects into place' },
    { id: 'verify', title: 'Verify every object' },
    { id: 'tidy', title: 'Tidy' },
  ];
}

/** The Cedar Backup amazons3 action: the day's staging directory, the store, then the indicator Cedar reads. */
export function cedarStorePhases(options: { encrypted: boolean; dryRun: boolean }): PhaseSpec[] {
  return [
    { id: 'select', title: "Find the day's staging directory" },
    ...s3StorePhases(options),
    ...(options.dryRun ? [] : [{ id: 'indicator', title: 'Write the cback.amazons3 indicator' }]),
  ];
}
