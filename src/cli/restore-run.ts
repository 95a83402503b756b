import { ec2Client, resolveAwsContext } from '../aws/clients.js';
import { resolveS3Context, s3Clients } from '../aws/s3.js';
import { makeEmitter } from '../core/events.js';
import { RunLedger, newRunId } from '../core/ledger/ledger.js';
import type { PhaseSpec } from '../core/phases.js';
import { runArchiveRestore } from '../core/restore/archive.js';
import { runEbsRestore } from '../core/restore/ebs.js';
import { listRestorable, type RestorableEntry } from '../core/restore/list.js';
import { archiveRestorePhases, ebsRestorePhases, s3RestorePhases } from '../core/restore/phases.js';
import type { RestoreResult } from '../core/restore/plan.js';
import { runS3Restore } from '../core/restore/s3.js';
import type { RunControl } from '../core/run-control.js';
import { ExitCode } from '../exit-codes.js';
import { restorableLines, restoreResultLines } from '../ui/restore-result.js';
import { choosePresenter } from './output-mode.js';
import type { RestorePlans } from './plans/restore.js';
import { runWork } from './run.js';
import type { SharedFlags } from './shared-flags.js';

/** Runs what the plan says (the listing, or one restore) with AWS where it needs it; returns the exit code. */
export async function executeRestore(plans: RestorePlans, flags: SharedFlags): Promise<number> {
  const where = { ...(flags.region ? { region: flags.region } : {}), ...(flags.profile ? { profile: flags.profile } : {}) };
  switch (plans.kind) {
    case 'list':
      return listBackups(flags, where);
    case 'ebs': {
      const { plan } = plans;
      return runRestore(flags, ebsRestorePhases(plan.source.kind === 'snapshot'), async (control) => {
        const ec2 = ec2Client(await resolveAwsContext(where));
        try {
          return await runEbsRestore(plan, { ec2, ledger: await RunLedger.open(newRunId()) }, control);
        } finally {
          ec2.destroy();
        }
      });
    }
    case 's3': {
      const { plan } = plans;
      return runRestore(flags, s3RestorePhases(), async (control) => {
        const clients = s3Clients(await resolveS3Context(where));
        try {
          return await runS3Restore(plan, { s3: clients.control }, control);
        } finally {
          clients.destroy();
        }
      });
    }
    case 'archive': {
      const { plan } = plans;
      return runRestore(flags, archiveRestorePhases(), (control) => runArchiveRestore(plan, control));
    }
  }
}

/** Runs a restore under the chosen presenter; the summary goes to stderr, a dry run's listing to stdout. */
async function runRestore(flags: SharedFlags, phases: PhaseSpec[] | undefined, work: (control: RunControl) => Promise<RestoreResult>): Promise<number> {
  const presenter = await choosePresenter(flags, 'offsite', phases);
  let finished: RestoreResult | undefined;
  const code = await runWork({
    sink: presenter.sink,
    work: async (control) => {
      const result = await work(control);
      control.emit({ type: 'result', result: { ...result } });
      return result;
    },
    onResult: (result) => (finished = result),
    onInterruptNotice: (message) => presenter.notice(message),
  });
  await presenter.close();
  if (finished) presenter.result(restoreResultLines(finished, flags));
  return code;
}

/** The restorable backups: one `result` event with --json, a table otherwise. A failure is an early one (no run). */
async function listBackups(flags: SharedFlags, where: { region?: string; profile?: string }): Promise<number> {
  const ec2 = ec2Client(await resolveAwsContext(where));
  let backups: RestorableEntry[];
  try {
    backups = await listRestorable(ec2);
  } finally {
    ec2.destroy();
  }
  const presenter = await choosePresenter(flags, 'offsite');
  if (presenter.json) makeEmitter(presenter.sink)({ type: 'result', result: { backups } });
  presenter.result(restorableLines(backups, flags));
  return ExitCode.ok;
}
