import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { DEFAULT_SAMPLE } from '../plans/verify-sample.js';
import { helpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { BUCKET_ENV, DEFAULT_FORKS, PASSWORD_ENV, buildVerifyS3Plan, buildVerifyVolumePlan, type VerifyInput } from '../plans/verify.js';
import { COMMANDS } from '../command-catalog.js';

export type VerifyFlags = VerifyInput & SharedFlags;
export { BUCKET_ENV, PASSWORD_ENV };
const bucketSource = (program: string): string => (program === 'offsite' ? '--bucket' : `--bucket/${BUCKET_ENV}`);

/** `offsite verify`: prove a directory or a returned disk against S3, or an EBS backup against its directory. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(COMMANDS.verify.description)
    .argument('<device-or-dir>', 'with --bucket: the directory, disk, partition or disk image; with --volume: the local directory backed up')
    .option('--bucket <s3-url>', 'the source in S3: s3://bucket[/prefix]')
    .option('--volume <volume-id>', 'an EBS volume written by offsite ebs (dd or rsync), read through a temporary instance')
    .option('--sample <N|P%>', `how many files to compare: a number (default ${DEFAULT_SAMPLE}) or a share like 5%`)
    .option('--all', 'compare every file')
    .option('--seed <seed>', 'make the sample reproducible (the seed used is always reported)')
    .option('--slice <n/t>', 'only slice n of t: slices 1/t … t/t together cover every file exactly once')
    .option('--forks <N>', `listings, requests and hashes in flight at once (default ${DEFAULT_FORKS})`)
    .option('--download', 'S3: also download every sampled object and compare its bytes (the only end-to-end check)')
    .option('--missing-ok', 'files missing remotely (deleted since the backup) are warnings, not failures')
    .option('--target-directory <dir>', 'the directory under the disk\'s root that holds the export (default: the bucket name)')
    .option('--password-file <file>', `TrueCrypt container password, first line of this file (or ${PASSWORD_ENV}, or a prompt)`)
    .addOption(sharedFlag('region'))
    .addOption(sharedFlag('profile'))
    .addOption(sharedFlag('json'))
    .addOption(sharedFlag('quiet'))
    .addOption(sharedFlag('verbose', 'and a line for every matching file'))
    .addOption(sharedFlag('nonInteractive', 'a missing password is an error'))
    .addHelpText(
      'after',
      helpExtras({
        environment: [PASSWORD_ENV, 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_EC2', 'EC2_BACKUP_FLAGS_AWS', 'EC2_BACKUP_FLAGS_SSH'],
        exitCodes: {
          0: 'every compared file matched',
          1: 'could not verify (no evidence for some content: try --download), or the run failed',
          3: 'differences found: differ, missing, unreadable, or a failed whole-backup check',
          4: 'the verdict stands, but an instance or mount was left behind; offsite cleanup removes it',
        },
        examples: [
          'offsite verify --bucket s3://example-backups/www /srv/www',
          'offsite verify --all --download --bucket s3://example-exports /dev/sdb',
          'offsite verify --volume vol-0123456789abcdef0 /srv/www',
        ],
        notes: 'EC2_BACKUP_FLAGS_AWS and EC2_BACKUP_FLAGS_SSH (--volume) set up and reach the temporary instance, as for offsite ebs. More: docs/verify.md',
      }),
    )
    .action(async (target: string, flags: VerifyFlags) => {
      process.exitCode = await verifyAction(target, flags, 'offsite');
    });
}

/**
 * The seed-compatible `s3export verify-backup <device-path> [--target-directory=<dir>]`: the bucket comes from
 * --bucket or OFFSITE_VERIFY_BUCKET (the original read it from its configuration); the program's global
 * --quiet, --non-interactive and --forks apply. Mismatches are reported in the original's words.
 */
export function addVerifyBackupCommand(program: Command, face = 's3export'): void {
  program
    .command('verify-backup')
    .description('compare 100 random files of an export disk with the S3 bucket they came from')
    .argument('<device-path>', 'the returned disk or partition (or a directory holding the exported files)')
    .option('--target-directory <dir>', 'the directory on the disk that holds the export (default: the bucket name)')
    .option('--bucket <bucket>', `the source bucket, s3://bucket[/prefix] or a bare name (default: ${BUCKET_ENV})`)
    .option('--sample <N|P%>', 'how many files to compare (default 100)')
    .option('--seed <seed>', 'make the sample reproducible')
    .option('--download', 'also download the sampled objects and compare bytes')
    .option('--missing-ok', 'objects deleted from the bucket since the export are warnings')
    .option('--password-file <file>', `TrueCrypt container password (or ${PASSWORD_ENV})`)
    .addOption(sharedFlag('json'))
    .addHelpText(
      'after',
      helpExtras({
        environment: [BUCKET_ENV, PASSWORD_ENV, 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'],
        exitCodes: { 0: 'every compared file matched', 3: 'differences found (the report names them)' },
        examples: [
          `${face === 'offsite' ? 'offsite export' : 's3export'} verify-backup /dev/sdb --bucket offsite-photos`,
          `${face === 'offsite' ? 'offsite export' : 's3export'} verify-backup /mnt/export --target-directory photos --bucket s3://offsite-photos`,
        ],
        notes: 'The same check as offsite verify <device> --bucket …, worded as the original s3export. More: docs/verify.md',
      }),
    )
    .action(async (device: string, _options: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<VerifyFlags & { forks?: string }>();
      const bucket = flags.bucket ?? process.env[BUCKET_ENV];
      process.exitCode = await verifyAction(device, { ...flags, ...(bucket !== undefined ? { bucket } : {}) }, face);
    });
}

/** Parses and checks everything locally, then runs; returns the exit code. */
export async function verifyAction(target: string, flags: VerifyFlags, program: string): Promise<number> {
  const json = Boolean(flags.json);
  try {
    if (flags.volume !== undefined && flags.bucket !== undefined) throw new UsageError('--bucket and --volume exclude each other: verify against S3 or against an EBS volume');
    if (flags.volume !== undefined) {
      const plan = await buildVerifyVolumePlan(target, flags);
      return await (await import('../verify-run.js')).executeVerifyVolume(plan, { flags, program });
    }
    if (flags.bucket === undefined) {
      throw new UsageError(program === 'offsite' ? 'say what to verify against: --bucket s3://bucket[/prefix] or --volume vol-…' : `no bucket: pass --bucket or set ${BUCKET_ENV}`);
    }
    const plan = await buildVerifyS3Plan(target, { ...flags, bucket: flags.bucket }, bucketSource(program), program === 'offsite');
    return await (await import('../verify-run.js')).executeVerifyS3(plan, { flags, program });
  } catch (error) {
    return reportEarlyFailure(error, { json, program });
  }
}
