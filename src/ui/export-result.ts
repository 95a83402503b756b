import type { CreateJobResult } from '../core/export/plan.js';
import type { JobStatus, JobSummary, ShippingLabel } from '../core/export/service.js';
import { jobLines, statusLines } from './export-lines.js';
import { answer, note, type ResultLine } from './result-lines.js';

/** The job id (or the dry run's verdict) for scripts, then what to do next (unless quiet). */
export function createJobResultLines(result: CreateJobResult, args: { manifestPath: string; devicePath?: string }, options: { quiet?: boolean }): ResultLine[] {
  if (result.dryRun) return [answer(`Manifest is valid: ${args.manifestPath} (dry run: no job created${args.devicePath ? `, ${args.devicePath} not touched` : ''})`)];
  const next = result.signatureWritten
    ? `SIGNATURE stored on ${result.filesystemDevice}; ship ${result.device} with it. Next: get-shipping-label ${args.manifestPath} ${result.jobId}`
    : `Next: get-status ${result.jobId} --watch; get-job-manifest / get-unlock-code once AWS has shipped the appliance`;
  return [answer(`Job created, id: ${result.jobId}`), ...(options.quiet ? [] : [note(next)])];
}

export function statusResultLines(status: JobStatus): ResultLine[] {
  return statusLines(status).map(answer);
}

export function jobListResultLines(result: { jobs: JobSummary[]; pages: number }, options: { quiet?: boolean }): ResultLine[] {
  const count = `${result.jobs.length} job${result.jobs.length === 1 ? '' : 's'} (${result.pages} page${result.pages === 1 ? '' : 's'})`;
  return [...jobLines(result.jobs).map(answer), ...(options.quiet ? [] : [note(count)])];
}

export function cancelResultLines(): ResultLine[] {
  return [answer('Job successfully cancelled')];
}

export function labelResultLines(label: ShippingLabel, options: { quiet?: boolean }): ResultLine[] {
  const advice = 'Print the label twice: tape one to the parcel, hand the other to the driver. Outside the US add three pro-forma invoices and the packing slip.';
  return [answer(label.url), ...(options.quiet ? [] : [note(advice)])];
}

/** Only where the file went: its content (a manifest, an unlock code) is never shown. */
export function credentialResultLines(result: { path: string; bytes: number }, options: { quiet?: boolean }): ResultLine[] {
  return options.quiet ? [] : [note(`wrote ${result.path} (${result.bytes} bytes, readable by you only)`)];
}
