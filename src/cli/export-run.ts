import type { EventSink } from '../core/events.js';
import { runCreateJob } from '../core/export/create-job.js';
import { openJobService } from '../core/export/job-list.js';
import { runCancelJob, runGetStatus, runJobCredential, runListJobs, runShippingLabel } from '../core/export/jobs.js';
import { createJobPhases, jobPhases } from '../core/export/phases.js';
import type { ExportService } from '../core/export/service.js';
import { RunLedger, newRunId } from '../core/ledger/ledger.js';
import type { PhaseSpec } from '../core/phases.js';
import type { RunControl } from '../core/run-control.js';
import { UsageError } from '../errors.js';
import { exportPlainSink } from '../ui/export-lines.js';
import { cancelResultLines, createJobResultLines, credentialResultLines, jobListResultLines, labelResultLines, statusResultLines } from '../ui/export-result.js';
import type { ResultLine } from '../ui/result-lines.js';
import { choosePresenter } from './output-mode.js';
import type { ExportPlan } from './plans/export.js';
import type { Redaction } from './redaction.js';
import { runWork } from './run.js';
import type { SharedFlags } from './shared-flags.js';

/** How the export commands report, beyond the shared flags. */
export interface ExportOutput extends SharedFlags {
  quietWarnings?: boolean;
  /** The manifest's secrets, masked in everything shown. */
  secrets: readonly string[];
}

/** One job command: what it does with the service, its steps, and its result as lines. */
interface JobWork<T> {
  work: (service: ExportService, control: RunControl) => Promise<T>;
  phases: PhaseSpec[];
  lines: (result: T) => ResultLine[];
}

/**
 * Runs an export command (after the erase confirmation create-job may ask for); throws only before the work
 * starts, then returns the exit code. `program` is the face the operator typed: offsite or s3export.
 */
export async function executeExport(exportPlan: ExportPlan, output: ExportOutput, program: string): Promise<number> {
  const quiet = { quiet: output.quiet };
  switch (exportPlan.command) {
    case 'create-job': {
      const { plan, manifestPath } = exportPlan;
      const erases = plan.service === 'importexport' && !plan.dryRun && !plan.skipFormat;
      if (erases && !plan.confirmed && !output.nonInteractive && !output.json && process.stdin.isTTY && process.stderr.isTTY) {
        plan.confirmed = await confirmErase(plan.device!);
      }
      return execute(exportPlan, output, program, {
        work: async (service, control) => runCreateJob(plan, { service, ledger: await RunLedger.open(newRunId()) }, control),
        phases: createJobPhases(plan),
        lines: (result) => createJobResultLines(result, { manifestPath, ...(plan.device ? { devicePath: plan.device } : {}) }, quiet),
      });
    }
    case 'get-status': {
      const { plan } = exportPlan;
      return execute(exportPlan, output, program, {
        work: (service, control) => runGetStatus(plan, { service, runId: newRunId() }, control),
        phases: jobPhases('get-status', plan.watch),
        lines: statusResultLines,
      });
    }
    case 'list-jobs':
      return execute(exportPlan, output, program, {
        work: (service, control) => runListJobs({ ...(exportPlan.pageSize ? { pageSize: exportPlan.pageSize } : {}) }, { service, runId: newRunId() }, control),
        phases: jobPhases('list-jobs'),
        lines: (result) => jobListResultLines(result, quiet),
      });
    case 'cancel-job':
      return execute(exportPlan, output, program, {
        work: (service, control) => runCancelJob(exportPlan.jobId, { service, runId: newRunId() }, control),
        phases: jobPhases('cancel-job'),
        lines: cancelResultLines,
      });
    case 'get-shipping-label':
      return execute(exportPlan, output, program, {
        work: (service, control) => runShippingLabel(exportPlan.manifest, exportPlan.jobId, { service, runId: newRunId() }, control),
        phases: jobPhases('get-shipping-label'),
        lines: (label) => labelResultLines(label, quiet),
      });
    case 'get-job-manifest':
    case 'get-unlock-code':
      return execute(exportPlan, output, program, {
        work: (service, control) => runJobCredential(exportPlan.what, exportPlan.jobId, exportPlan.output, { service, runId: newRunId() }, control),
        phases: jobPhases(exportPlan.command),
        lines: (result) => credentialResultLines(result, quiet),
      });
  }
}

/**
 * Runs the work with Ctrl-C handling under the chosen presenter (the live list of its phases on a terminal); the
 * service is opened inside and closed after. The result is presented once the live list has gone.
 */
async function execute<T>(exportPlan: ExportPlan, output: ExportOutput, program: string, job: JobWork<T>): Promise<number> {
  const presenter = await choosePresenter(output, program, job.phases, output.secrets);
  const quietWarnings = Boolean(output.quietWarnings);
  const shown: EventSink = presenter.json
    ? presenter.sink
    : presenter.live
      ? (event) => void (event.type === 'warning' && quietWarnings ? undefined : presenter.sink(event))
      : exportPlainSink(presenter.sink, presenter.line, { quiet: Boolean(output.quiet), quietWarnings });
  let finished: { result: T } | undefined;
  const code = await runWork({
    sink: shown,
    work: async (control) => {
      const service = await openService(exportPlan, output, presenter.redaction);
      try {
        const result = await job.work(service, control);
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
  if (finished) presenter.result(job.lines(finished.result));
  return code;
}

async function openService(exportPlan: ExportPlan, output: ExportOutput, redaction: Redaction): Promise<ExportService> {
  const service = await openJobService(exportPlan.service, {
    ...(output.region ? { region: output.region } : {}),
    ...(output.profile ? { profile: output.profile } : {}),
    settings: exportPlan.command === 'create-job' ? exportPlan.plan.snowball : {},
  });
  const { unlockCode } = service;
  if (!unlockCode) return service;
  // An unlock code is a secret from the moment it arrives: nothing shown after that may carry it.
  return Object.assign(service, {
    unlockCode: async (jobId: string, signal: AbortSignal) => {
      const code = await unlockCode.call(service, jobId, signal);
      redaction.add([code]);
      return code;
    },
  });
}

/** Interactive confirmation: the operator types the device's name. The core only ever sees `confirmed`. */
async function confirmErase(devicePath: string): Promise<boolean> {
  const [{ checkExportDevice }, { input }, { formatBytes }] = await Promise.all([
    import('../core/export/device.js'),
    import('@inquirer/prompts'),
    import('../util/format.js'),
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
