import { open, rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { OffsiteError, UsageError } from '../../errors.js';
import { phaseRunner } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { formatDuration } from '../../util/format.js';
import { abortReason } from '../../util/poll.js';
import type { ExportManifest } from './manifest.js';
import type { StatusPlan } from './plan.js';
import { RETIRED_NOTICE, type ExportService, type JobStatus, type JobSummary, type ShippingLabel } from './service.js';

export interface JobCommandDeps {
  service: ExportService;
  runId: string;
}

/** The frame every job command shares: run-start, the one-line retirement notice, then the work as one phase. */
async function jobCommand<T>(name: string, title: string, deps: JobCommandDeps, control: RunControl, work: () => Promise<T>): Promise<T> {
  control.emit({ type: 'run-start', runId: deps.runId, command: `export ${name} (${deps.service.name})` });
  control.emit({ type: 'warning', message: RETIRED_NOTICE[deps.service.name] });
  return phaseRunner(control.emit, control.signal)(name, title, work);
}

export function runGetStatus(plan: StatusPlan, deps: JobCommandDeps, control: RunControl): Promise<JobStatus> {
  const title = plan.watch ? `Watch job ${plan.jobId} until it is over` : `Get the status of job ${plan.jobId}`;
  return jobCommand('get-status', title, deps, control, () =>
    plan.watch ? watchJob(plan, deps.service, control) : deps.service.getStatus(plan.jobId, control.signal),
  );
}

export function describeState(status: JobStatus): string {
  return `${status.jobId}: ${status.state}${status.location ? ` (${status.location})` : ''}${status.message ? ` - ${status.message}` : ''}`;
}

/**
 * Polls until the job reaches a final state. Each state is a `job-state` phase (start when seen, end when left);
 * Snowball's DataTransferProgress becomes `progress` events on the `data-transfer` phase.
 */
async function watchJob(plan: StatusPlan, service: ExportService, control: RunControl): Promise<JobStatus> {
  const { signal, emit } = control;
  const started = Date.now();
  let current: string | undefined;
  let since = started;
  let lastProgress = '';
  // Every new figure is passed on (polls are already far apart); the meter decides when rate and ETA are sound.
  const meter = new ProgressMeter('data-transfer', emit, undefined, { intervalMs: 0 });
  for (;;) {
    const status = await service.getStatus(plan.jobId, signal);
    const now = Date.now();
    const key = `${status.state}|${status.location ?? ''}|${status.message ?? ''}`;
    if (key !== current) {
      if (current !== undefined) emit({ type: 'phase-end', phase: 'job-state', status: 'ok', elapsedMs: now - since });
      emit({ type: 'phase-start', phase: 'job-state', title: describeState(status) });
      current = key;
      since = now;
    }
    const p = status.progress;
    if (p) {
      const mark = `${p.bytesTransferred}/${p.totalBytes}/${p.objectsTransferred ?? ''}`;
      if (mark !== lastProgress) {
        lastProgress = mark;
        meter.setTotal(p.totalBytes);
        meter.update(p.bytesTransferred);
        if (p.totalObjects !== undefined) emit({ type: 'log', message: `data transfer: ${p.objectsTransferred ?? 0} of ${p.totalObjects} objects` });
      }
    }
    if (status.final) {
      emit({ type: 'phase-end', phase: 'job-state', status: 'ok', elapsedMs: now - since, ...(status.outcome ? { detail: status.outcome } : {}) });
      return status;
    }
    if (plan.timeoutMs !== undefined && now - started >= plan.timeoutMs) {
      emit({ type: 'phase-end', phase: 'job-state', status: 'failed', elapsedMs: now - since, detail: 'still not over' });
      throw new OffsiteError(`job ${plan.jobId} is still ${status.state} after ${formatDuration(now - started)}`, undefined, { advice: { remedy: 'timeout' } });
    }
    try {
      await delay(plan.intervalMs, undefined, { signal });
    } catch {
      throw abortReason(signal);
    }
  }
}

export async function runListJobs(options: { pageSize?: number }, deps: JobCommandDeps, control: RunControl): Promise<{ jobs: JobSummary[]; pages: number }> {
  let pages = 0;
  const jobs = await jobCommand('list-jobs', 'List jobs (all pages)', deps, control, () =>
    deps.service.listJobs(
      {
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        onPage: (page, n) => {
          pages = n;
          control.emit({ type: 'log', message: `page ${n}: ${page.length} job${page.length === 1 ? '' : 's'}` });
        },
      },
      control.signal,
    ),
  );
  return { jobs, pages };
}

export async function runCancelJob(jobId: string, deps: JobCommandDeps, control: RunControl): Promise<{ jobId: string; cancelled: true }> {
  await jobCommand('cancel-job', `Cancel job ${jobId}`, deps, control, () => deps.service.cancelJob(jobId, control.signal));
  return { jobId, cancelled: true };
}

export async function runShippingLabel(manifest: ExportManifest, jobId: string, deps: JobCommandDeps, control: RunControl): Promise<ShippingLabel & { jobId: string }> {
  const label = await jobCommand('get-shipping-label', `Get the shipping label for job ${jobId}`, deps, control, () =>
    deps.service.shippingLabel(manifest, jobId, control.signal),
  );
  if (label.warning) control.emit({ type: 'warning', message: label.warning });
  return { jobId, ...label };
}

/**
 * Snowball's job manifest or unlock code, into a new file readable by the owner only: never printed, and a file
 * that already exists is not overwritten. AWS asks that the two be kept apart.
 */
export async function runJobCredential(
  what: 'manifest' | 'unlock-code',
  jobId: string,
  output: string,
  deps: JobCommandDeps,
  control: RunControl,
): Promise<{ jobId: string; path: string; bytes: number }> {
  const { service } = deps;
  const name = what === 'manifest' ? 'get-job-manifest' : 'get-unlock-code';
  if (!service.jobManifest || !service.unlockCode) throw new UsageError(`${name} is a Snowball command`, { remedy: 'snowball' });
  // Created before any network call, so an existing file is a usage error found locally.
  const file = await open(output, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EEXIST' ? new UsageError(`${output} already exists; not overwriting it`) : new UsageError(`cannot create ${output}: ${error.message}`);
  });
  let bytes = 0;
  try {
    bytes = await jobCommand(name, `Get the ${what === 'manifest' ? 'job manifest' : 'unlock code'} of job ${jobId} into ${output}`, deps, control, async () => {
      const data = what === 'manifest' ? await service.jobManifest!(jobId, control.signal) : Buffer.from(`${await service.unlockCode!(jobId, control.signal)}\n`);
      await file.writeFile(data);
      await file.sync();
      return data.byteLength;
    });
  } finally {
    await file.close();
    if (bytes === 0) await rm(output, { force: true });
  }
  return { jobId, path: output, bytes };
}
