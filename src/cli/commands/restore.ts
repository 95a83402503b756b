import type { Command } from 'commander';
import { helpExtras } from '../help-text.js';
import { positiveInt } from './ebs.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import type { RestoreCommandInput } from '../plans/restore.js';
import { COMMANDS } from '../command-catalog.js';

type RestoreFlags = RestoreCommandInput & SharedFlags;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `offsite restore`: bring a backup back into a directory, proving the source before anything lands there. */
export function registerRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description(COMMANDS.restore.description)
    .argument('[source]', 's3://bucket/prefix, or (with --volume, --snapshot, --archive) the target directory')
    .argument('[target]', 'the directory to restore into (empty or absent unless --overwrite)')
    .option('--volume <volume-id>', 'an EBS volume written by offsite ebs (dd or rsync)')
    .option('--snapshot <snapshot-id>', 'an EBS snapshot taken by offsite ebs --snapshot (restored through a temporary volume)')
    .option('--archive <dir>', 'a dar archive directory written by offsite archive (FULL, then each INC)')
    .option('--as-of <date>', '--archive: restore the chain only up to this date (YYYY-MM-DD or ISO-8601)')
    .option('--list', 'list the EBS volumes and snapshots that can be restored')
    .option('--include <path>', 'restore only this path of the backup (and what is below it); repeatable', collect, [])
    .option('--dry-run', 'prove the source and list what would be written; write nothing')
    .option('--overwrite', 'restore into a directory that is not empty (restored entries replace same-named ones)')
    .option('--force', 'restore a backup whose tags say it is incomplete or cannot be proved')
    .option('--passphrase-file <file>', 'S3 objects stored with --encrypt gpg: the file holding the passphrase (gpg reads it; never on a command line)')
    .addOption(sharedFlag('region'))
    .addOption(sharedFlag('profile'))
    .option('--instance-type <type>', 'instance type of the temporary instance (default t3.micro)')
    .option('--image-id <ami>', 'image to boot (default: newest Amazon Linux 2023)')
    .option('--key-name <name>', 'EC2 key pair for the instance')
    .option('--subnet-id <id>', "subnet to launch in (must be in the volume's Availability Zone)")
    .option('--security-group-ids <ids...>', 'security groups for the instance (must allow SSH from here)')
    .option('--availability-zone <az>', 'Availability Zone for the instance (a snapshot restore; a volume decides its own)')
    .option('--aws-flags <flags>', 'run-instances flags as the AWS CLI spells them (added to EC2_BACKUP_FLAGS_AWS)')
    .option('--ssh-flags <flags>', 'OpenSSH flags (added to EC2_BACKUP_FLAGS_SSH): -i, -p, -l, -o Key=Value')
    .option('--ssh-user <user>', "login user on the instance (default: the image's, ec2-user for Amazon Linux)")
    .option('-i, --identity <file>', 'SSH private key')
    .option('--self-destruct <minutes>', 'the instance powers itself off (and terminates) after this long (default 180)', positiveInt('--self-destruct'))
    .option('--transport <how>', 'bulk data over auto (OpenSSH if installed), openssh or ssh2')
    .addOption(sharedFlag('json'))
    .addOption(sharedFlag('quiet'))
    .addOption(sharedFlag('verbose'))
    .addOption(sharedFlag('nonInteractive'))
    .addHelpText(
      'after',
      helpExtras({
        environment: ['AWS_PROFILE', 'AWS_REGION', 'AWS_ENDPOINT_URL', 'EC2_BACKUP_FLAGS_AWS', 'EC2_BACKUP_FLAGS_SSH', 'OFFSITE_SSH_TRANSPORT', 'OFFSITE_STATE_DIR'],
        exitCodes: {
          0: 'restored',
          2: 'bad input, or a backup whose tags do not vouch for it (without --force)',
          3: 'the backup is corrupt or differs from its proof; TARGET untouched',
          4: 'clean-up left something behind; offsite cleanup removes it',
        },
        examples: [
          'offsite restore --list',
          'offsite restore --volume vol-0123456789abcdef0 /srv/restored',
          'offsite restore --snapshot snap-0123456789abcdef0 --include etc/nginx --dry-run /tmp/r',
          'offsite restore s3://my-bucket/host1/2024-05-01 /srv/restored',
        ],
        notes:
          'Nothing is written into TARGET before the source is proved: a dd image by its offsite:dd-sha256 tag, an rsync mirror by a checksum comparison, S3 objects by their checksums, dar slices with dar -t. The restore lands in a staging directory beside TARGET and is moved into place at the end. More: docs/restore.md',
      }),
    )
    .action(async (first: string | undefined, second: string | undefined, flags: RestoreFlags) => {
      process.exitCode = await restoreAction(first, second, flags);
    });
}

async function restoreAction(first: string | undefined, second: string | undefined, flags: RestoreFlags): Promise<number> {
  try {
    const { buildRestorePlans } = await import('../plans/restore.js');
    const plans = await buildRestorePlans(first, second, flags);
    const { executeRestore } = await import('../restore-run.js'); // the AWS SDK loads only when work starts
    return await executeRestore(plans, flags);
  } catch (error) {
    return reportEarlyFailure(error, { json: flags.json, program: 'offsite' });
  }
}
