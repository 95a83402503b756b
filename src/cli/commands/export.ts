import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { EventSink } from '../../core/events.js';
import { addVerifyBackupCommand } from './verify.js';
import { InterruptedError, UsageError } from '../../errors.js';
import type { ExportManifest } from '../../core/export/manifest.js';
import type { ExportService, ServiceName, SnowballSettings } from '../../core/export/service.js';
import type { RunControl } from '../../core/run-control.js';
import type { PhaseSpec } from '../../core/phases.js';
import { createJobPhases, jobPhases } from '../../core/export/phases.js';
import { helpExtras, type HelpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { COMMANDS } from '../command-catalog.js';

/** The two faces of the same commands: `offsite export <command>` and the seed-compatible `s3export <command>`. */
export type ExportFace = 'offsite' | 's3export';

interface ExportFlags extends SharedFlags {
  service?: string;
  quietWarnings?: boolean;
  yes?: boolean;
  skipFormat?: boolean;
  dryRun?: boolean;
  roleArn?: string;
  kmsKeyArn?: string;
  shippingOption?: string;
  watch?: boolean;
  interval?: number;
  timeout?: number;
  pageSize?: number;
  output?: string;
  targetDirectory?: string;
}

/** What every action gets: its flags and how to report (secrets scrubbed); execute() chooses the presenter. */
interface ActionContext {
  face: ExportFace;
  flags: ExportFlags;
  service: ServiceName;
  json: boolean;
  /** A line on stderr, scrubbed. */
  write(line: string): void;
  /** Values never to show; the manifest's secrets are added once it is read. */
  secrets: string[];
  out(line: string): void;
  note(line: string): void;
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

const positiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number`);
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
      process.exitCode = await action(face, cmd, (ctx) => createJobAction(ctx, manifestPath, devicePath));
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
      process.exitCode = await action(face, cmd, (ctx) => statusAction(ctx, jobId));
    });

  group
    .command('list-jobs')
    .description('list every job of the account (all pages), newest first')
    .option('--page-size <n>', 'jobs per request (default: the service maximum)', positiveInt('--page-size'))
    .addHelpText('after', exportHelp(face, ['list-jobs', '--service snowball list-jobs --json']))
    .action(async (_o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, (ctx) => listAction(ctx));
    });

  group
    .command('cancel-job')
    .description('cancel a job that has not started yet')
    .argument('<job-id>', 'the job')
    .addHelpText('after', exportHelp(face, ['cancel-job 5BW5J', '--service snowball cancel-job JID123e4567-e89b-12d3-a456-426655440000']))
    .action(async (jobId: string, _o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, (ctx) => cancelAction(ctx, jobId));
    });

  group
    .command('get-shipping-label')
    .description('get the shipping label for a job (Import/Export: from the manifest return address; Snowball: the return label)')
    .argument('<manifest-path>', 'the manifest of the job')
    .argument('<job-id>', 'the job')
    .addHelpText('after', exportHelp(face, ['get-shipping-label fixtures/manifests/export.yml 5BW5J', '--service snowball get-shipping-label fixtures/manifests/snowball.yml JID123e4567-e89b-12d3-a456-426655440000']))
    .action(async (manifestPath: string, jobId: string, _o: unknown, cmd: Command) => {
      process.exitCode = await action(face, cmd, (ctx) => labelAction(ctx, manifestPath, jobId));
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
        process.exitCode = await action(face, cmd, (ctx) => credentialAction(ctx, what, jobId));
      });
  }

  // The returned-disk check is the verify mode's; both spellings reach it.
  addVerifyBackupCommand(group, face);
}

/** Flags, presenter and one-line error reporting around an action; returns the exit code. */
async function action(face: ExportFace, cmd: Command, work: (ctx: ActionContext) => Promise<number>): Promise<number> {
  const flags = cmd.optsWithGlobals<ExportFlags>();
  const { scrubText } = await import('../../core/export/redact.js');
  const json = Boolean(flags.json);
  const secrets = envSecrets();
  const write = (line: string): void => void process.stderr.write(`${scrubText(line, secrets)}\n`);
  const ctx: ActionContext = {
    face,
    flags,
    service: (flags.service as ServiceName | undefined) ?? 'importexport',
    json,
    write,
    secrets,
    out: (line) => void (json ? undefined : process.stdout.write(`${scrubText(line, secrets)}\n`)),
    note: (line) => void (json || flags.quiet ? undefined : write(line)),
  };
  try {
    return await work(ctx);
  } catch (error) {
    // Found before the work started (bad input, a refused device, an unanswered prompt): one line.
    const failure = isPromptExit(error) ? new InterruptedError() : error;
    return reportEarlyFailure(failure, { json, program: face, scrub: (text) => scrubText(text, secrets) });
  }
}

/** The caller's own secrets, should any message ever echo them. */
function envSecrets(): string[] {
  return [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN].filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

function isPromptExit(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}

/**
 * Runs core work with Ctrl-C handling under the chosen presenter (the live list of `phases` on a terminal), every
 * event scrubbed of secrets; the service is opened inside (lazily: the SDK loads only now) and closed after. The
 * result is presented once the live list has gone.
 */
async function execute<T>(
  ctx: ActionContext,
  settings: SnowballSettings,
  work: (service: ExportService, control: RunControl) => Promise<T>,
  present: (result: T) => void,
  phases: PhaseSpec[],
): Promise<number> {
  const [{ runWork }, { choosePresenter }, { exportPlainSink }, { redactingSink }] = await Promise.all([
    import('../run.js'),
    import('../output-mode.js'),
    import('../../ui/export-lines.js'),
    import('../../core/export/redact.js'),
  ]);
  const { flags } = ctx;
  const presenter = await choosePresenter({ json: flags.json, quiet: flags.quiet, verbose: flags.verbose }, ctx.face, phases);
  const quietWarnings = Boolean(flags.quietWarnings);
  const shown: EventSink = presenter.json
    ? presenter.sink
    : presenter.live
      ? (event) => void (event.type === 'warning' && quietWarnings ? undefined : presenter.sink(event))
      : exportPlainSink(presenter.sink, ctx.write, { quiet: Boolean(flags.quiet), quietWarnings });
  let finished: { result: T } | undefined;
  const code = await runWork({
    sink: redactingSink(shown, () => ctx.secrets),
    work: async (control) => {
      const service = await openService(ctx, settings);
      try {
        const result = await work(service, control);
        control.emit({ type: 'result', result: { ...result } as Record<string, unknown> });
        return result;
      } finally {
        service.close();
      }
    },
    onResult: (result) => (finished = { result }),
    onInterruptNotice: (message) => presenter.notice(message),
  });
  await presenter.close();
  if (finished) present(finished.result);
  return code;
}

async function openService(ctx: ActionContext, settings: SnowballSettings): Promise<ExportService> {
  const { openJobService } = await import('../../core/export/job-list.js');
  return openJobService(ctx.service, { ...(ctx.flags.region ? { region: ctx.flags.region } : {}), ...(ctx.flags.profile ? { profile: ctx.flags.profile } : {}), settings });
}

async function loadManifest(ctx: ActionContext, path: string): Promise<ExportManifest> {
  const { readManifest } = await import('../../core/export/manifest.js');
  const manifest = await readManifest(path);
  ctx.secrets.push(...manifest.secrets);
  return manifest;
}

async function jobIdOf(ctx: ActionContext, value: string): Promise<string> {
  const { parseJobId } = await import('../../core/export/job-id.js');
  return parseJobId(value, ctx.service);
}

/** Snowball flags, checked with the manifest schema's own rules so both spellings fail alike. */
async function snowballFlags(flags: ExportFlags): Promise<SnowballSettings> {
  const { SnowballBlockSchema } = await import('../../core/export/manifest-schema.js');
  const checked: SnowballSettings = {};
  for (const [flag, key, value] of [
    ['--role-arn', 'roleArn', flags.roleArn],
    ['--kms-key-arn', 'kmsKeyArn', flags.kmsKeyArn],
  ] as const) {
    if (value === undefined) continue;
    const parsed = SnowballBlockSchema.shape[key].safeParse(value);
    if (!parsed.success) throw new UsageError(`${flag}: ${parsed.error.issues[0]?.message ?? 'is not valid'}`);
    checked[key] = parsed.data;
  }
  if (flags.shippingOption) checked.shippingOption = flags.shippingOption as NonNullable<SnowballSettings['shippingOption']>;
  return checked;
}

async function createJobAction(ctx: ActionContext, manifestPath: string, devicePath: string | undefined): Promise<number> {
  const { flags } = ctx;
  const settings = await snowballFlags(flags);
  const manifest = await loadManifest(ctx, manifestPath);
  if (ctx.service === 'snowball' && devicePath) throw new UsageError(`${devicePath}: Snowball jobs use an appliance AWS ships to you; leave out <device-path>`);
  if (ctx.service === 'importexport' && !devicePath && !flags.dryRun) throw new UsageError('create-job needs <device-path>: the disk you will ship (or --dry-run to only validate)');
  const [{ checkManifestFor }, { runCreateJob }, { RunLedger, newRunId }] = await Promise.all([
    import('../../core/export/manifest-rules.js'),
    import('../../core/export/create-job.js'),
    import('../../core/ledger/ledger.js'),
  ]);
  checkManifestFor(ctx.service, manifest, settings); // the service checks it again and reports warnings; here it fails early

  let confirmed = Boolean(flags.yes);
  const erases = ctx.service === 'importexport' && !flags.dryRun && !flags.skipFormat;
  if (erases && !confirmed && !flags.nonInteractive && !ctx.json && process.stdin.isTTY && process.stderr.isTTY) {
    confirmed = await confirmErase(devicePath!);
  }
  const plan = {
    service: ctx.service,
    manifest,
    ...(devicePath ? { device: devicePath } : {}),
    skipFormat: Boolean(flags.skipFormat),
    dryRun: Boolean(flags.dryRun),
    confirmed,
    snowball: settings,
  };
  return execute(
    ctx,
    settings,
    async (service, control) => runCreateJob(plan, { service, ledger: await RunLedger.open(newRunId()) }, control),
    (result) => {
      if (result.dryRun) {
        ctx.out(`Manifest is valid: ${manifestPath} (dry run: no job created${devicePath ? `, ${devicePath} not touched` : ''})`);
        return;
      }
      ctx.out(`Job created, id: ${result.jobId}`);
      if (result.signatureWritten) ctx.note(`SIGNATURE stored on ${result.filesystemDevice}; ship ${result.device} with it. Next: get-shipping-label ${manifestPath} ${result.jobId}`);
      else ctx.note(`Next: get-status ${result.jobId} --watch; get-job-manifest / get-unlock-code once AWS has shipped the appliance`);
    },
    createJobPhases(plan),
  );
}

/** Interactive confirmation: the operator types the device's name. The core only ever sees `confirmed`. */
async function confirmErase(devicePath: string): Promise<boolean> {
  const [{ checkExportDevice }, { input }, { formatBytes }] = await Promise.all([
    import('../../core/export/device.js'),
    import('@inquirer/prompts'),
    import('../../util/format.js'),
  ]);
  const { device } = await checkExportDevice(devicePath, { allowMounted: false }); // refusals come before the question
  const answer = await input(
    { message: `create-job erases everything on ${device.path} (${formatBytes(device.sizeBytes)}). Type ${device.name} to continue:` },
    { output: process.stderr },
  );
  const typed = answer.trim();
  if (typed !== device.name && typed !== device.path) throw new UsageError(`confirmation '${typed}' does not match ${device.name}; nothing was changed`);
  return true;
}

async function statusAction(ctx: ActionContext, jobIdText: string): Promise<number> {
  const jobId = await jobIdOf(ctx, jobIdText);
  const [{ runGetStatus }, { newRunId }, { statusLines }] = await Promise.all([
    import('../../core/export/jobs.js'),
    import('../../core/ledger/ledger.js'),
    import('../../ui/export-lines.js'),
  ]);
  const plan = {
    service: ctx.service,
    jobId,
    watch: Boolean(ctx.flags.watch),
    intervalMs: (ctx.flags.interval ?? 60) * 1000,
    ...(ctx.flags.timeout ? { timeoutMs: ctx.flags.timeout * 1000 } : {}),
  };
  return execute(
    ctx,
    {},
    (service, control) => runGetStatus(plan, { service, runId: newRunId() }, control),
    (status) => statusLines(status).forEach((line) => ctx.out(line)),
    jobPhases('get-status', plan.watch),
  );
}

async function listAction(ctx: ActionContext): Promise<number> {
  const [{ runListJobs }, { newRunId }, { jobLines }] = await Promise.all([
    import('../../core/export/jobs.js'),
    import('../../core/ledger/ledger.js'),
    import('../../ui/export-lines.js'),
  ]);
  return execute(
    ctx,
    {},
    (service, control) => runListJobs({ ...(ctx.flags.pageSize ? { pageSize: ctx.flags.pageSize } : {}) }, { service, runId: newRunId() }, control),
    (result) => {
      jobLines(result.jobs).forEach((line) => ctx.out(line));
      ctx.note(`${result.jobs.length} job${result.jobs.length === 1 ? '' : 's'} (${result.pages} page${result.pages === 1 ? '' : 's'})`);
    },
    jobPhases('list-jobs'),
  );
}

async function cancelAction(ctx: ActionContext, jobIdText: string): Promise<number> {
  const jobId = await jobIdOf(ctx, jobIdText);
  const [{ runCancelJob }, { newRunId }] = await Promise.all([import('../../core/export/jobs.js'), import('../../core/ledger/ledger.js')]);
  return execute(
    ctx,
    {},
    (service, control) => runCancelJob(jobId, { service, runId: newRunId() }, control),
    () => ctx.out('Job successfully cancelled'),
    jobPhases('cancel-job'),
  );
}

async function labelAction(ctx: ActionContext, manifestPath: string, jobIdText: string): Promise<number> {
  const manifest = await loadManifest(ctx, manifestPath);
  const jobId = await jobIdOf(ctx, jobIdText);
  const [{ runShippingLabel }, { newRunId }] = await Promise.all([import('../../core/export/jobs.js'), import('../../core/ledger/ledger.js')]);
  return execute(
    ctx,
    {},
    (service, control) => runShippingLabel(manifest, jobId, { service, runId: newRunId() }, control),
    (label) => {
      ctx.out(label.url);
      ctx.note('Print the label twice: tape one to the parcel, hand the other to the driver. Outside the US add three pro-forma invoices and the packing slip.');
    },
    jobPhases('get-shipping-label'),
  );
}

async function credentialAction(ctx: ActionContext, what: 'manifest' | 'unlock-code', jobIdText: string): Promise<number> {
  if (ctx.service !== 'snowball') throw new UsageError(`${what === 'manifest' ? 'get-job-manifest' : 'get-unlock-code'} is a Snowball command: add --service snowball`);
  const jobId = await jobIdOf(ctx, jobIdText);
  const output = ctx.flags.output!;
  const [{ runJobCredential }, { newRunId }] = await Promise.all([import('../../core/export/jobs.js'), import('../../core/ledger/ledger.js')]);
  return execute(
    ctx,
    {},
    (service, control) => runJobCredential(what, jobId, output, { service, runId: newRunId() }, control),
    (result) => ctx.note(`wrote ${result.path} (${result.bytes} bytes, readable by you only)`),
    jobPhases(what === 'manifest' ? 'get-job-manifest' : 'get-unlock-code'),
  );
}
