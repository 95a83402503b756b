import type { Command } from 'commander';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import type { RunControl } from '../../core/run-control.js';
import { ExitCode } from '../../exit-codes.js';
import { parseVolumeId } from '../../core/ebs/validate.js';
import type { VerifyReport, VerifyS3Plan } from '../../core/verify/plan.js';
import { DEFAULT_SAMPLE } from '../plans/verify-sample.js';
import { choosePresenter } from '../output-mode.js';
import type { Redaction } from '../redaction.js';
import type { PhaseSpec } from '../../core/phases.js';
import { helpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { verifyResultLines } from '../../ui/verify-report.js';
import { DEFAULT_FORKS, parseBucket, parseCommon, sourceSpec } from '../plans/verify.js';
import { COMMANDS } from '../command-catalog.js';

export interface VerifyFlags extends SharedFlags {
  bucket?: string;
  volume?: string;
  sample?: string;
  all?: boolean;
  seed?: string;
  slice?: string;
  forks?: string;
  download?: boolean;
  missingOk?: boolean;
  targetDirectory?: string;
  passwordFile?: string;
}

export const PASSWORD_ENV = 'OFFSITE_TRUECRYPT_PASSWORD';
export const BUCKET_ENV = 'OFFSITE_VERIFY_BUCKET';
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
    if (flags.volume !== undefined) return await runVolume(target, flags, json, program);
    if (flags.bucket === undefined) {
      throw new UsageError(program === 'offsite' ? 'say what to verify against: --bucket s3://bucket[/prefix] or --volume vol-…' : `no bucket: pass --bucket or set ${BUCKET_ENV}`);
    }
    return await runS3(target, flags, json, program);
  } catch (error) {
    return reportEarlyFailure(error, { json, program });
  }
}



/** The TrueCrypt password: the environment, the file, or — at a terminal, when allowed — a prompt. Never argv. */
function passwordSource(flags: VerifyFlags, json: boolean): (() => Promise<string>) | undefined {
  const fromEnv = process.env[PASSWORD_ENV];
  if (flags.passwordFile !== undefined) {
    const file = flags.passwordFile;
    return async () => {
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`--password-file ${file}: ${error.code === 'ENOENT' ? 'no such file' : `cannot read (${error.code})`}`);
      });
      return text.split(/\r?\n/)[0] ?? '';
    };
  }
  if (fromEnv !== undefined) return async () => fromEnv;
  if (flags.nonInteractive || json || !process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async () => {
    const { password } = await import('@inquirer/prompts');
    return password({ message: 'TrueCrypt container password', mask: true });
  };
}

async function runS3(target: string, flags: VerifyFlags, json: boolean, program: string): Promise<number> {
  const remote = parseBucket(flags.bucket!, bucketSource(program), program === 'offsite');
  const { sample, forks } = parseCommon(flags);
  const source = await sourceSpec(target, flags.targetDirectory);
  if (flags.passwordFile !== undefined) {
    await access(flags.passwordFile, constants.R_OK).catch(() => {
      throw new UsageError(`--password-file ${flags.passwordFile}: cannot be read`);
    });
  }
  const plan: VerifyS3Plan = { source, remote, sample, forks, download: Boolean(flags.download), missingOk: Boolean(flags.missingOk) };
  const truecryptPassword = passwordSource(flags, json);
  // The AWS SDK loads only when work starts.
  const [{ resolveS3Context, s3Clients }, { RunLedger, newRunId }, { runVerifyS3 }, { verifyS3Phases }] = await Promise.all([
    import('../../aws/s3.js'),
    import('../../core/ledger/ledger.js'),
    import('../../core/verify/verify-s3.js'),
    import('../../core/verify/phases.js'),
  ]);
  // A password asked for at the terminal mid-run would tear the live list: such a run shows plain lines.
  const asks = source.kind !== 'dir' && truecryptPassword !== undefined && flags.passwordFile === undefined && process.env[PASSWORD_ENV] === undefined;
  return execute({ flags, json, program, ...(asks ? {} : { phases: verifyS3Phases(source.kind) }) }, async (control, region, redaction) => {
    // The password is a secret from the moment it is read (a file, the terminal): nothing shown after may carry it.
    const password = truecryptPassword && (async () => {
      const value = await truecryptPassword();
      redaction.add([value]);
      return value;
    });
    const context = await resolveS3Context(region);
    const clients = s3Clients(context);
    try {
      const ledger = await RunLedger.open(newRunId());
      const endpointNotes = context.nonAws ? [`endpoint ${context.endpoint} is not AWS: path-style addressing, SDK checksums only where required`] : [];
      return await runVerifyS3(plan, { s3: clients.control, ledger, endpointNotes, ...(password ? { truecryptPassword: password } : {}) }, control);
    } finally {
      clients.destroy();
    }
  });
}

/**
 * Runs the work with Ctrl-C handling under the chosen presenter, emits the report as the result and prints it once
 * the live list (if any) has gone; the report's verdict is the exit code.
 */
async function execute(
  ctx: { flags: VerifyFlags; json: boolean; program: string; phases?: PhaseSpec[] },
  work: (control: RunControl, region: { region?: string; profile?: string }, redaction: Redaction) => Promise<VerifyReport>,
): Promise<number> {
  const { flags, json, program } = ctx;
  const { runWork } = await import('../run.js');
  const presenter = await choosePresenter(flags, program, ctx.phases);
  let report: VerifyReport | undefined;
  const code = await runWork<VerifyReport>({
    sink: presenter.sink,
    onResult: (result) => (report = result),
    onInterruptNotice: (message) => presenter.notice(message),
    work: async (control) => {
      const result = await work(control, { ...(flags.region ? { region: flags.region } : {}), ...(flags.profile ? { profile: flags.profile } : {}) }, presenter.redaction);
      control.emit({ type: 'result', result: { ...result } });
      return result;
    },
  });
  await presenter.close();
  if (report && !json) presenter.result(verifyResultLines(report, { verbose: flags.verbose, program }));
  return code === ExitCode.ok && report ? report.exitCode : code;
}

async function runVolume(target: string, flags: VerifyFlags, json: boolean, program: string): Promise<number> {
  const volumeId = parseVolumeId(flags.volume!);
  for (const [flag, given] of [['--download', flags.download], ['--target-directory', flags.targetDirectory], ['--password-file', flags.passwordFile]] as const) {
    if (given !== undefined && given !== false) throw new UsageError(`${flag} applies to --bucket, not to --volume`);
  }
  const { sample, forks } = parseCommon(flags);
  const [{ buildEbsPlan }, { ec2Client, resolveAwsContext }, { RunLedger, newRunId }, { runVerifyVolume }, { verifyVolumePhases }] = await Promise.all([
    import('../plans/ebs.js'),
    import('../../aws/clients.js'),
    import('../../core/ledger/ledger.js'),
    import('../../core/verify/verify-volume.js'),
    import('../../core/verify/phases.js'),
  ]);
  // The same instance and SSH settings as `offsite ebs` (EC2_BACKUP_FLAGS_AWS / EC2_BACKUP_FLAGS_SSH), checked the same way.
  const base = await buildEbsPlan({ dir: target, method: 'dd' });
  const plan = {
    volumeId,
    dir: base.dir,
    sample,
    forks,
    missingOk: Boolean(flags.missingOk),
    instance: base.instance,
    ssh: base.ssh,
    timeouts: base.timeouts,
    transport: base.transport,
    selfDestructMinutes: base.selfDestructMinutes,
    createdBy: base.createdBy,
  };
  return execute({ flags, json, program, phases: verifyVolumePhases() }, async (control, region) => {
    const ec2 = ec2Client(await resolveAwsContext(region));
    try {
      // An interrupted overwrite left no proof to check against: that is "incomplete" (3), not a failure (1).
      await (await import('../../core/ebs/proof.js')).refuseUnfinishedBackup(ec2, volumeId);
      return await runVerifyVolume(plan, { ec2, ledger: await RunLedger.open(newRunId()) }, control);
    } finally {
      ec2.destroy();
    }
  });
}
