import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { addVerifyBackupCommand } from './verify.js';
import { positiveInt } from './ebs.js';
import { helpExtras, type HelpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import type { ExportCommandInput, ExportRequest } from '../plans/export.js';
import { COMMANDS } from '../command-catalog.js';

/** The two faces of the same commands: `offsite export <command>` and the seed-compatible `s3export <command>`. */
export type ExportFace = 'offsite' | 's3export';

interface ExportFlags extends ExportCommandInput, SharedFlags {
  quietWarnings?: boolean;
}

/** `offsite export …` */
export function registerExportCommand(program: Command): void {
  const group = program.command('export').description(COMMANDS.export.description);
  addExportOptions(group);
  addExportCommands(group, 'offsite');
}

/** Options every export command takes, before or after the command name. No defaults here: see serviceOf(). */
export function addExportOptions(command: Command): Command {
  return command
    .configureHelp({ showGlobalOptions: true })
    .addOption(new Option('--service <name>', 'importexport: classic AWS Import/Export Disk (default); snowball: AWS Snowball').choices(['importexport', 'snowball']))
    .addOption(sharedFlag('region', 'used by Snowball'))
    .addOption(sharedFlag('profile'))
    .addOption(sharedFlag('json'))
    .addOption(sharedFlag('quiet'))
    .option('--quiet-warnings', 'do not show warnings')
    .addOption(sharedFlag('verbose', 'and step starts and resources'))
    .addOption(sharedFlag('nonInteractive', 'create-job then needs --yes to erase the device'))
    .option('-y, --yes', 'create-job: erase the device without asking');
}

const seconds = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number of seconds`);
  return n;
};

/** What every export command's help ends with: the same variables, its own examples. */
function exportHelp(face: ExportFace, examples: string[], extra: Partial<HelpExtras> = {}) {
  const name = face === 'offsite' ? 'offsite export' : 's3export';
  return helpExtras({
    environment: ['AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_IMPORTEXPORT', 'AWS_ENDPOINT_URL_SNOWBALL', 'AWS_ENDPOINT_URL', 'OFFSITE_STATE_DIR', 'TMPDIR'],
    examples: examples.map((line) => `${name} ${line}`),
    notes: `The manifest's accessKeyId must be the key that signs the requests. More: docs/${face === 'offsite' ? 'export' : 's3export'}.md`,
    ...extra,
  });
}

export function addExportCommands(group: Command, face: ExportFace): void {
  group.addHelpText(
    'after',
    exportHelp(face, ['create-job --dry-run fixtures/manifests/export.yml', 'get-status 5BW5J --watch', 'list-jobs'], {
      exitCodes: { 3: 'verify-backup: differences found', 4: 'create-job: a mount or temporary directory was left behind; offsite cleanup removes it' },
    }),
  );

  group
    .command('create-job')
    .description('check the manifest, prepare the device (GPT, ext4), create the export job and store its SIGNATURE on the device')
    .argument('<manifest-path>', 'the export manifest (YAML; relative to the current directory)')
    .argument('[device-path]', 'the disk or partition to ship (Import/Export; not for Snowball)')
    .option('--skip-format', 'use the filesystem already on the device (no partitioning, no mkfs)')
    .option('--dry-run', 'only validate: the service checks the job (ValidateOnly); no job is created and the device is not touched')
    .option('--role-arn <arn>', 'Snowball: IAM role AWS uses to read the buckets (or snowball.roleArn in the manifest)')
    .option('--kms-key-arn <arn>', 'Snowball: KMS key for the job (or snowball.kmsKeyArn)')
    .addOption(new Option('--shipping-option <option>', 'Snowball: shipping speed (default from serviceLevel)').choices(['SECOND_DAY', 'NEXT_DAY', 'EXPRESS', 'STANDARD']))
    .addHelpText(
      'after',
      exportHelp(
        face,
        ['create-job --dry-run fixtures/manifests/export.yml', 'create-job fixtures/manifests/export.yml /dev/sdb --yes', '--service snowball create-job fixtures/manifests/snowball.yml --dry-run'],
        { exitCodes: { 4: 'a mount or temporary directory was left behind; offsite cleanup removes it' } },
      ),
    )
    .action(async (manifestPath: string, devicePath: string | undefined, _o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, { command: 'create-job', manifestPath, ...(devicePath ? { devicePath } : {}) });
    });

  group
    .command('get-status')
    .description("show a job's state; --watch polls until it is over")
    .argument('<job-id>', 'the job')
    .option('--watch', 'poll and show each new state (and Snowball data-transfer progress) until a final state')
    .option('--interval <seconds>', 'seconds between polls with --watch (default 60)', seconds('--interval'))
    .option('--timeout <seconds>', 'give up watching after this long (default: never)', seconds('--timeout'))
    .addHelpText('after', exportHelp(face, ['get-status 5BW5J', 'get-status 5BW5J --watch --interval 30']))
    .action(async (jobId: string, _o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, { command: 'get-status', jobId });
    });

  group
    .command('list-jobs')
    .description('list every job of the account (all pages), newest first')
    .option('--page-size <n>', 'jobs per request (default: the service maximum)', positiveInt('--page-size'))
    .addHelpText('after', exportHelp(face, ['list-jobs', '--service snowball list-jobs --json']))
    .action(async (_o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, { command: 'list-jobs' });
    });

  group
    .command('cancel-job')
    .description('cancel a job that has not started yet')
    .argument('<job-id>', 'the job')
    .addHelpText('after', exportHelp(face, ['cancel-job 5BW5J', '--service snowball cancel-job JID123e4567-e89b-12d3-a456-426655440000']))
    .action(async (jobId: string, _o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, { command: 'cancel-job', jobId });
    });

  group
    .command('get-shipping-label')
    .description('get the shipping label for a job (Import/Export: from the manifest return address; Snowball: the return label)')
    .argument('<manifest-path>', 'the manifest of the job')
    .argument('<job-id>', 'the job')
    .addHelpText('after', exportHelp(face, ['get-shipping-label fixtures/manifests/export.yml 5BW5J', '--service snowball get-shipping-label fixtures/manifests/snowball.yml JID123e4567-e89b-12d3-a456-426655440000']))
    .action(async (manifestPath: string, jobId: string, _o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, { command: 'get-shipping-label', manifestPath, jobId });
    });

  for (const [name, what, description] of [
    ['get-job-manifest', 'manifest', 'Snowball: save the encrypted job manifest to a new file (mode 0600)'],
    ['get-unlock-code', 'unlock-code', 'Snowball: save the unlock code to a new file (mode 0600); keep it apart from the manifest'],
  ] as const) {
    group
      .command(name)
      .description(description)
      .argument('<job-id>', 'the job')
      .requiredOption('--output <file>', 'the new file to write (never printed, never overwritten)')
      .addHelpText('after', exportHelp(face, [`--service snowball ${name} JID123e4567-e89b-12d3-a456-426655440000 --output ${what}.bin`, `--service snowball --json ${name} JID123e4567-e89b-12d3-a456-426655440000 --output /root/${what}.bin`]))
      .action(async (jobId: string, _o: unknown, cmd: Command) => {
        process.exitCode = await action(face, cmd, { command: name, jobId });
      });
  }

  // The returned-disk check is the verify mode's; both spellings reach it.
  addVerifyBackupCommand(group, face);
}

/** Builds the plan and runs it; a failure before the work starts is one line (or one JSON error), masked. */
async function action(face: ExportFace, cmd: Command, request: ExportRequest): Promise<number> {
  const flags = cmd.optsWithGlobals<ExportFlags>();
  const secrets: string[] = [];
  try {
    const { buildExportPlan } = await import('../plans/export.js');
    const plan = await buildExportPlan(request, flags, secrets);
    const { executeExport } = await import('../export-run.js'); // the SDK loads only when work starts
    return await executeExport(plan, { ...flags, secrets }, face);
  } catch (error) {
    return reportEarlyFailure(error, { json: flags.json, program: face, secrets });
  }
}
