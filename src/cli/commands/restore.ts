import type { Command } from 'commander';
import { helpExtras } from '../help-text.js';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import type { EventSink } from '../../core/events.js';
import type { RunControl } from '../../core/run-control.js';
import { parseVolumeId } from '../../core/ebs/validate.js';
import { SNAPSHOT_ID } from '../../core/ebs/validate.js';
import type { RestoreResult, RestoreTargetOptions } from '../../core/restore/plan.js';
import type { RestorableEntry } from '../../core/restore/list.js';
import { archiveRestorePhases, ebsRestorePhases, s3RestorePhases } from '../../core/restore/phases.js';
import { gpgEncryption } from '../../core/s3/encryption.js';
import { parseS3Url } from '../../core/s3/url.js';
import type { PhaseSpec } from '../../core/phases.js';
import { choosePresenter } from '../output-mode.js';
import { instanceSettingsInput, positiveInt, type EbsFlags } from './ebs.js';
import { sharedFlag } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { restorableLines, restoreResultLines } from '../../ui/restore-result.js';
import { writeResult } from '../write-result.js';
import { COMMANDS } from '../command-catalog.js';

/** The instance and output flags are `offsite ebs`'s; the rest are restore's own. */
export interface RestoreFlags extends Omit<EbsFlags, 'method' | 'volume' | 'size' | 'bwlimit' | 'yes' | 'snapshot'> {
  volume?: string;
  snapshot?: string;
  archive?: string;
  asOf?: string;
  list?: boolean;
  include: string[];
  dryRun?: boolean;
  overwrite?: boolean;
  force?: boolean;
  passphraseFile?: string;
}

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

type Source = { kind: 'volume'; volumeId: string } | { kind: 'snapshot'; snapshotId: string } | { kind: 'archive'; dir: string } | { kind: 's3'; url: string };

/** Exactly one source, and a target: checked locally, before any network call. */
export function parseSource(first: string | undefined, second: string | undefined, flags: RestoreFlags): { source: Source; target: string } {
  const named: Source[] = [];
  if (flags.volume !== undefined) named.push({ kind: 'volume', volumeId: parseVolumeId(flags.volume, '--volume') });
  if (flags.snapshot !== undefined) {
    const id = flags.snapshot.trim();
    if (!SNAPSHOT_ID.test(id)) throw new UsageError(`--snapshot: '${flags.snapshot}' is not a snapshot id (snap- and 8 or 17 hex digits)`);
    named.push({ kind: 'snapshot', snapshotId: id });
  }
  if (flags.archive !== undefined) named.push({ kind: 'archive', dir: resolve(flags.archive) });
  if (first?.startsWith('s3://')) {
    if (named.length > 0) throw new UsageError('give one source: an s3:// URL, --volume, --snapshot or --archive');
    if (second === undefined) throw new UsageError('missing TARGET: offsite restore s3://bucket/prefix TARGET');
    return { source: { kind: 's3', url: first }, target: checkedTarget(second) };
  }
  if (named.length === 0) throw new UsageError('say what to restore: --volume vol-…, --snapshot snap-…, --archive DIR or s3://bucket/prefix (see --list)');
  if (named.length > 1) throw new UsageError('give one source: --volume, --snapshot, --archive or an s3:// URL');
  if (second !== undefined) throw new UsageError(`unexpected argument '${second}': with --${named[0]!.kind} give only TARGET`);
  if (first === undefined) throw new UsageError('missing TARGET: the directory to restore into');
  if (flags.asOf !== undefined && named[0]!.kind !== 'archive') throw new UsageError('--as-of applies to --archive only');
  return { source: named[0]!, target: checkedTarget(first) };
}

function checkedTarget(raw: string): string {
  if (raw.trim() === '') throw new UsageError('TARGET is empty');
  return resolve(raw);
}

/** Parses and checks everything locally, then runs; returns the exit code. */
export async function restoreAction(first: string | undefined, second: string | undefined, flags: RestoreFlags): Promise<number> {
  const json = Boolean(flags.json);
  try {
    if (flags.list) {
      if (first !== undefined || flags.volume || flags.snapshot || flags.archive) throw new UsageError('--list takes no source or target');
      return await listAction(flags);
    }
    const { source, target } = parseSource(first, second, flags);
    const { checkTarget, normalizeIncludes } = await import('../../core/restore/target.js');
    const options: RestoreTargetOptions = {
      target,
      include: normalizeIncludes(flags.include),
      dryRun: Boolean(flags.dryRun),
      overwrite: Boolean(flags.overwrite),
    };
    await checkTarget(target, options.overwrite);
    if (source.kind === 'volume' || source.kind === 'snapshot') return await ebsAction(source, options, flags);
    if (source.kind === 's3') return await s3Action(source.url, options, flags);
    return await archiveAction(source.dir, options, flags);
  } catch (error) {
    return reportFailure(error, json);
  }
}

function reportFailure(error: unknown, json: boolean): number {
  return reportEarlyFailure(error, { json, program: 'offsite' });
}

async function ebsAction(source: Extract<Source, { kind: 'volume' | 'snapshot' }>, options: RestoreTargetOptions, flags: RestoreFlags): Promise<number> {
  const { buildInstanceSettings } = await import('../plans/ebs.js');
  const settings = await buildInstanceSettings(instanceSettingsInput(flags));
  const plan = { ...settings, ...options, source, force: Boolean(flags.force) };
  return runRestore(flags, ebsRestorePhases(source.kind === 'snapshot'), async (control) => {
    const [{ ec2Client, resolveAwsContext }, { RunLedger, newRunId }, { runEbsRestore }] = await Promise.all([
      import('../../aws/clients.js'),
      import('../../core/ledger/ledger.js'),
      import('../../core/restore/ebs.js'),
    ]);
    const ec2 = ec2Client(await resolveAwsContext(awsOptions(flags)));
    try {
      return await runEbsRestore(plan, { ec2, ledger: await RunLedger.open(newRunId()) }, control);
    } finally {
      ec2.destroy();
    }
  });
}

async function s3Action(url: string, options: RestoreTargetOptions, flags: RestoreFlags): Promise<number> {
  const location = parseS3Url(url, 'SOURCE');
  if (flags.force) throw new UsageError('--force applies to EBS volumes and snapshots, not to S3');
  const gpg = flags.passphraseFile ? await gpgEncryption(flags.passphraseFile, '--passphrase-file') : undefined;
  const plan = { ...options, location, concurrency: 4, ...(gpg ? { passphraseFile: gpg.passphraseFile, gpgPath: gpg.gpgPath } : {}) };
  return runRestore(flags, s3RestorePhases(), async (control) => {
    const [{ resolveS3Context, s3Clients }, { runS3Restore }] = await Promise.all([import('../../aws/s3.js'), import('../../core/restore/s3.js')]);
    const clients = s3Clients(await resolveS3Context(awsOptions(flags)));
    try {
      return await runS3Restore(plan, { s3: clients.control }, control);
    } finally {
      clients.destroy();
    }
  });
}

async function archiveAction(setDir: string, options: RestoreTargetOptions, flags: RestoreFlags): Promise<number> {
  const { parseAsOf, runArchiveRestore } = await import('../../core/restore/archive.js');
  for (const [flag, given] of [['--force', flags.force], ['--passphrase-file', flags.passphraseFile]] as const) {
    if (given) throw new UsageError(`${flag} does not apply to --archive`);
  }
  const plan = { ...options, setDir, ...(flags.asOf !== undefined ? { asOf: parseAsOf(flags.asOf) } : {}) };
  return runRestore(flags, archiveRestorePhases(), (control) => runArchiveRestore(plan, control));
}

function awsOptions(flags: RestoreFlags): { region?: string; profile?: string } {
  return { ...(flags.region ? { region: flags.region } : {}), ...(flags.profile ? { profile: flags.profile } : {}) };
}

/** Runs a restore under the chosen presenter; the summary goes to stderr, a dry run's listing to stdout. */
async function runRestore(flags: RestoreFlags, phases: PhaseSpec[] | undefined, work: (control: RunControl) => Promise<RestoreResult>): Promise<number> {
  const presenter = await choosePresenter(flags, 'offsite', phases);
  let finished: RestoreResult | undefined;
  const { runWork } = await import('../run.js'); // loads only when work starts
  const code = await runWork({
    sink: presenter.sink,
    work: async (control) => {
      const result = await work(control);
      control.emit({ type: 'result', result: { ...result } });
      return result;
    },
    onResult: (result) => (finished = result),
    onInterruptNotice: (message) => {
      if (!flags.json) process.stderr.write(`offsite: ${message}\n`);
    },
  });
  await presenter.close();
  if (finished && !flags.json) writeResult(restoreResultLines(finished, flags));
  return code;
}

async function listAction(flags: RestoreFlags): Promise<number> {
  const [{ ec2Client, resolveAwsContext }, { listRestorable }, { makeEmitter }] = await Promise.all([
    import('../../aws/clients.js'),
    import('../../core/restore/list.js'),
    import('../../core/events.js'),
  ]);
  const ec2 = ec2Client(await resolveAwsContext(awsOptions(flags)));
  let backups: RestorableEntry[];
  try {
    backups = await listRestorable(ec2);
  } finally {
    ec2.destroy();
  }
  if (flags.json) {
    const sink: EventSink = (event) => void process.stdout.write(`${JSON.stringify(event)}\n`);
    makeEmitter(sink)({ type: 'result', result: { backups } });
    return ExitCode.ok;
  }
  writeResult(restorableLines(backups, flags));
  return ExitCode.ok;
}
