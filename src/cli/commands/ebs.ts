import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { parseMethod, parseVolumeId } from '../../core/ebs/validate.js';
import { parseBandwidth } from '../../util/bandwidth.js';
import { buildEbsPlan, instanceSettingsInput, type InstanceFlagsInput } from '../plans/ebs.js';
import type { EbsBackupResult } from '../../core/ebs/plan.js';
import { ebsPhases } from '../../core/ebs/phases.js';
import { choosePresenter } from '../output-mode.js';
import { helpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { ebsResultLines } from '../../ui/ebs-result.js';
import { COMMANDS } from '../command-catalog.js';

interface EbsFlags extends SharedFlags, InstanceFlagsInput {
  method: string;
  volume?: string;
  size?: number;
  bwlimit?: string;
  snapshot?: boolean;
  yes?: boolean;
  allowChangingFiles?: boolean;
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number`);
    return n;
  };
}

/** `offsite ebs <dir>`: the EBS backup with long flags and the richer output modes. */
export function registerEbsCommand(program: Command): void {
  program
    .command('ebs')
    .description(COMMANDS.ebs.description)
    .argument('<dir>', 'the directory to back up')
    .addOption(new Option('-m, --method <method>', 'dd: tar onto the raw volume; rsync: incremental filesystem mirror').default('dd'))
    .option('-v, --volume <volume-id>', 'back up onto this existing volume (never deleted); otherwise a new one is created')
    .option('--size <GiB>', 'size of a new volume (default: 2 × the directory, at least 1)', positiveInt('--size'))
    .addOption(sharedFlag('region'))
    .addOption(sharedFlag('profile'))
    .option('--instance-type <type>', 'instance type (default t3.micro)')
    .option('--image-id <ami>', 'image to boot (default: newest Amazon Linux 2023)')
    .option('--key-name <name>', 'EC2 key pair for the instance')
    .option('--subnet-id <id>', 'subnet to launch in (must be in the volume\'s Availability Zone)')
    .option('--security-group-ids <ids...>', 'security groups for the instance (must allow SSH from here)')
    .option('--availability-zone <az>', 'Availability Zone for the instance and a new volume')
    .option('--aws-flags <flags>', 'run-instances flags as the AWS CLI spells them (added to EC2_BACKUP_FLAGS_AWS)')
    .option('--ssh-flags <flags>', 'OpenSSH flags (added to EC2_BACKUP_FLAGS_SSH): -i, -p, -l, -o Key=Value')
    .option('--ssh-user <user>', 'login user on the instance (default: the image\'s, ec2-user for Amazon Linux)')
    .option('-i, --identity <file>', 'SSH private key')
    .option('--self-destruct <minutes>', 'the instance powers itself off (and terminates) after this long (default 180)', positiveInt('--self-destruct'))
    .option('--transport <how>', 'bulk data over auto (OpenSSH if installed), openssh or ssh2', undefined)
    .option('--bwlimit <rate>', 'limit the transfer, e.g. 500K, 20M (per second)')
    .option('--snapshot', 'after the verified backup, snapshot the volume with the same proof tags (a point in time offsite restore --snapshot reads)')
    .addOption(sharedFlag('json'))
    .addOption(sharedFlag('quiet'))
    .addOption(sharedFlag('verbose'))
    .option('-y, --yes', 'confirm destructive steps (dd onto an existing volume overwrites it)')
    .addOption(sharedFlag('nonInteractive'))
    .addHelpText(
      'after',
      helpExtras({
        environment: ['EC2_BACKUP_FLAGS_SSH', 'EC2_BACKUP_FLAGS_AWS', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_EC2', 'SSH_AUTH_SOCK', 'OFFSITE_SSH_TRANSPORT', 'OFFSITE_STATE_DIR', 'OFFSITE_DEBUG'],
        exitCodes: { 4: 'the backup is done or failed, but an instance or volume was left behind; offsite cleanup removes it' },
        examples: [
          'offsite ebs /srv/www',
          'offsite ebs --method rsync --volume vol-0123456789abcdef0 /home',
          'offsite ebs --ssh-flags "-i ~/.ssh/backup.pem" --json /etc',
        ],
        notes: 'Prints the volume id on stdout. The instance must accept SSH from here: EC2_BACKUP_FLAGS_SSH or --ssh-flags say how to reach it. More: docs/ebs.md',
      }),
    )
    .option('--allow-changing-files', 'keep a backup during which files changed, tagged offsite:state=inconsistent (default: such a run fails)')
    .action(async (dir: string, flags: EbsFlags) => {
      process.exitCode = await ebsAction(dir, flags);
    });
}

async function ebsAction(dir: string, flags: EbsFlags): Promise<number> {
  const json = Boolean(flags.json);
  let plan;
  try {
    const method = parseMethod(flags.method);
    const volumeId = flags.volume === undefined ? undefined : parseVolumeId(flags.volume);
    if (volumeId && method === 'dd' && !flags.yes) {
      throw new UsageError(`--volume ${volumeId} with --method dd overwrites everything on that volume: add --yes to confirm`);
    }
    if (volumeId && flags.size) throw new UsageError('--size applies only to a new volume, not with --volume');
    plan = await buildEbsPlan({
      dir,
      method,
      ...(volumeId ? { volumeId } : {}),
      ...(flags.size ? { volumeSizeGiB: flags.size } : {}),
      ...instanceSettingsInput(flags),
      ...(flags.bwlimit ? { bandwidthLimit: parseBandwidth(flags.bwlimit, '--bwlimit') } : {}),
      ...(flags.snapshot ? { snapshot: true } : {}),
    });
    if (flags.allowChangingFiles) plan.allowChangingFiles = true;
  } catch (error) {
    return reportEarlyFailure(error, { json, program: 'offsite' });
  }
  const { executeEbsBackup } = await import('../ebs-run.js'); // the AWS SDK loads only when work starts
  const presenter = await choosePresenter(flags, 'offsite', ebsPhases(plan.method, { existingVolume: Boolean(plan.volumeId), snapshot: Boolean(plan.snapshot) }));
  let finished: EbsBackupResult | undefined;
  const code = await executeEbsBackup({
    plan,
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    sink: presenter.sink,
    onResult: (result) => (finished = result),
    onInterruptNotice: (message) => presenter.notice(message),
  });
  await presenter.close();
  if (finished && !json) presenter.result(ebsResultLines(plan.dir, finished, flags));
  return code;
}
