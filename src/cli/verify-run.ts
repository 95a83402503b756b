import { readFile } from 'node:fs/promises';
import { InterruptedError, UsageError } from '../errors.js';
import { isPromptExit } from './early-failure.js';
import { ExitCode } from '../exit-codes.js';
import type { PhaseSpec } from '../core/phases.js';
import type { RunControl } from '../core/run-control.js';
import type { VerifyReport, VerifyS3Plan, VerifyVolumePlan } from '../core/verify/plan.js';
import { verifyResultLines } from '../ui/verify-report.js';
import { choosePresenter } from './output-mode.js';
import { PASSWORD_ENV } from './plans/verify.js';
import type { Redaction } from './redaction.js';
import type { SharedFlags } from './shared-flags.js';

/** What the run needs from the command line besides the plan: the output flags and, for TrueCrypt, the password. */
interface VerifyRunOptions {
  flags: SharedFlags & { passwordFile?: string };
  program: string;
}

type Region = { region?: string; profile?: string };

/** The TrueCrypt password: the environment, the file, or — at a terminal, when allowed — a prompt. Never argv. */
function passwordSource(flags: VerifyRunOptions['flags']): (() => Promise<string>) | undefined {
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
  if (flags.nonInteractive || flags.json || !process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return () => askTrueCryptPassword();
}

/** The prompt at the terminal (streams of its own in tests). */
export async function askTrueCryptPassword(context?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return password({ message: 'TrueCrypt container password', mask: true }, context).catch((error: unknown) => {
    // Ctrl-C at the prompt (the terminal is raw: no SIGINT) stops the run like Ctrl-C anywhere else.
    throw isPromptExit(error) ? new InterruptedError('no TrueCrypt password given') : error;
  });
}

/** Verify a directory, disk or image against S3. */
export async function executeVerifyS3(plan: VerifyS3Plan, options: VerifyRunOptions): Promise<number> {
  const { flags } = options;
  const truecryptPassword = passwordSource(flags);
  // The AWS SDK loads only when work starts.
  const [{ resolveS3Context, s3Clients }, { RunLedger, newRunId }, { runVerifyS3 }, { verifyS3Phases }] = await Promise.all([
    import('../aws/s3.js'),
    import('../core/ledger/ledger.js'),
    import('../core/verify/verify-s3.js'),
    import('../core/verify/phases.js'),
  ]);
  // A password asked for at the terminal mid-run would tear the live list: such a run shows plain lines.
  const asks = plan.source.kind !== 'dir' && truecryptPassword !== undefined && flags.passwordFile === undefined && process.env[PASSWORD_ENV] === undefined;
  return execute(options, asks ? undefined : verifyS3Phases(plan.source.kind), async (control, region, redaction) => {
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

/** Verify an EBS volume against its directory. */
export async function executeVerifyVolume(plan: VerifyVolumePlan, options: VerifyRunOptions): Promise<number> {
  const [{ ec2Client, resolveAwsContext }, { RunLedger, newRunId }, { runVerifyVolume }, { verifyVolumePhases }, { refuseUnfinishedBackup }] = await Promise.all([
    import('../aws/clients.js'),
    import('../core/ledger/ledger.js'),
    import('../core/verify/verify-volume.js'),
    import('../core/verify/phases.js'),
    import('../core/ebs/proof.js'),
  ]);
  return execute(options, verifyVolumePhases(), async (control, region) => {
    const ec2 = ec2Client(await resolveAwsContext(region));
    try {
      // An interrupted overwrite left no proof to check against: that is "incomplete" (3), not a failure (1).
      await refuseUnfinishedBackup(ec2, plan.volumeId);
      return await runVerifyVolume(plan, { ec2, ledger: await RunLedger.open(newRunId()) }, control);
    } finally {
      ec2.destroy();
    }
  });
}

/**
 * Runs the work with Ctrl-C handling under the chosen presenter, emits the report as the result and prints it once
 * the live list (if any) has gone; the report's verdict is the exit code.
 */
async function execute(
  { flags, program }: VerifyRunOptions,
  phases: PhaseSpec[] | undefined,
  work: (control: RunControl, region: Region, redaction: Redaction) => Promise<VerifyReport>,
): Promise<number> {
  const { runWork } = await import('./run.js');
  const presenter = await choosePresenter(flags, program, phases);
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
  if (report && !flags.json) presenter.result(verifyResultLines(report, { verbose: flags.verbose, program }));
  return code === ExitCode.ok && report ? report.exitCode : code;
}
