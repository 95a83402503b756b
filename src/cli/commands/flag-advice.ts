import type { InputKey, RemedyKey, Wording } from '../../errors.js';

/**
 * The core's messages name inputs and remedies by key; this is where the command line spells them. Both tables are
 * exhaustive records, so a key added to src/errors.ts does not compile until it has its flag and its advice here.
 */

/** The flag each input is given with, as `offsite` (and s3export) spell it. */
const OFFSITE_FLAGS: Record<InputKey, string> = {
  volume: '--volume',
  snapshot: '--snapshot',
  method: '--method',
  imageId: '--image-id',
  subnetId: '--subnet-id',
  placement: '--placement',
  include: '--include',
  asOf: '--as-of',
  archive: '--archive',
  passphraseFile: '--passphrase-file',
  passwordFile: '--password-file',
  cedarConfig: '--cedar-config',
  targetDirectory: '--target-directory',
  roleArn: '--role-arn',
  olderThan: '--older-than',
};

/** ec2-backup keeps the seed's one-letter flags. */
const EC2_BACKUP_FLAGS: Record<InputKey, string> = { ...OFFSITE_FLAGS, volume: '-v', method: '-m' };

type Flag = (key: InputKey) => string;

/** The advice after a message, with the command's spelling of each flag it names. */
const REMEDIES: Record<RemedyKey, (flag: Flag, value: string | undefined) => string> = {
  overwrite: () => 'or add --overwrite',
  force: () => 'add --force to restore it anyway',
  allowChangingFiles: () => 'or pass --allow-changing-files to keep such a backup (tagged offsite:state=inconsistent)',
  confirm: () => 'confirm by typing the device name when asked, or pass --yes',
  namedRun: (_flag, run) => `pass --run ${run} to remove it`,
  cleanupRun: (_flag, run) => `or run 'offsite cleanup --run ${run}' if it is dead`,
  imageId: (flag) => `pass ${flag('imageId')}`,
  skipFormat: () => 'or pass --skip-format to use it as it is',
  snowball: () => 'add --service snowball',
  roleArn: (flag) => `or pass ${flag('roleArn')}`,
  passphraseFile: (flag) => `pass ${flag('passphraseFile')} FILE`,
  passwordFile: (flag) => `or pass ${flag('passwordFile')}`,
  targetDirectory: (flag) => `pass ${flag('targetDirectory')} if the export named another`,
  noResume: () => 'or add --no-resume to discard them',
  ddMethod: (flag) => `use ${flag('method')} dd or another volume`,
  timeout: () => 'a longer --timeout waits longer',
};

function wordingWith(flags: Record<InputKey, string>): Wording {
  const flag: Flag = (key) => flags[key];
  return {
    input: (key, value) => (value === undefined ? flags[key] : `${flags[key]} ${value}`),
    remedy: (key, value) => REMEDIES[key](flag, value),
  };
}

/** `offsite …` and `s3export …`. */
export const offsiteWording: Wording = wordingWith(OFFSITE_FLAGS);

/** `ec2-backup …`. */
export const ec2BackupWording: Wording = wordingWith(EC2_BACKUP_FLAGS);
