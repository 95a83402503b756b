import type { InputKey, RemedyKey, Wording } from '../errors.js';

/**
 * The wizard's words for the inputs and remedies the core's messages name: its own fields and choices, never a
 * flag. Exhaustive records, so a new key does not compile until the wizard can say it.
 */

/** Each input as the screens call it. */
const FIELDS: Record<InputKey, string> = {
  volume: 'Volume',
  snapshot: 'Snapshot',
  method: 'Method',
  imageId: 'Image',
  subnetId: 'Subnet',
  placement: 'Placement',
  include: 'Included path',
  asOf: 'Date',
  archive: 'Archive directory',
  passphraseFile: 'Passphrase file',
  passwordFile: 'Password file',
  cedarConfig: 'Cedar Backup configuration',
  targetDirectory: 'Target directory',
  roleArn: 'Role ARN',
  olderThan: 'Age',
};

/** What the wizard can say to do; undefined where the message already says all the wizard offers. */
const REMEDIES: Record<RemedyKey, (value: string | undefined) => string | undefined> = {
  // The wizard restores only into an empty or new directory, which the message already asks for.
  overwrite: () => undefined,
  force: () => 'the wizard restores only complete backups',
  allowChangingFiles: () => undefined,
  confirm: () => 'type the device name when asked',
  namedRun: () => undefined,
  cleanupRun: () => undefined,
  imageId: () => 'choose an image that has it',
  skipFormat: () => undefined,
  snowball: () => 'choose the Snowball service',
  roleArn: () => 'set snowball.roleArn in the manifest',
  passphraseFile: () => 'choose a passphrase file',
  passwordFile: () => undefined,
  targetDirectory: () => 'choose the directory the export named',
  noResume: () => undefined,
  ddMethod: () => 'choose the dd method or another volume',
  timeout: () => undefined,
};

export const wizardWording: Wording = {
  input: (key, value) => (value === undefined ? FIELDS[key] : `${FIELDS[key]} ${value}`),
  remedy: (key, value) => REMEDIES[key](value),
};
