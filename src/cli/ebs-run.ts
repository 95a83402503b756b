import { ec2Client, resolveAwsContext } from '../aws/clients.js';
import { runEbsBackup } from '../core/ebs/backup.js';
import type { EbsBackupPlan, EbsBackupResult } from '../core/ebs/plan.js';
import type { EventSink } from '../core/events.js';
import { RunLedger, newRunId } from '../core/ledger/ledger.js';
import { runWork } from './run.js';

/** Wires a plan to AWS, a fresh run ledger and the chosen presenter; returns the exit code. */
export async function executeEbsBackup(options: {
  plan: EbsBackupPlan;
  region?: string;
  profile?: string;
  sink: EventSink;
  onResult: (result: EbsBackupResult) => void;
  onInterruptNotice?: (message: string) => void;
}): Promise<number> {
  return runWork({
    sink: options.sink,
    onResult: options.onResult,
    ...(options.onInterruptNotice ? { onInterruptNotice: options.onInterruptNotice } : {}),
    work: async (control) => {
      const context = await resolveAwsContext({
        ...(options.region ? { region: options.region } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
      });
      const ec2 = ec2Client(context);
      try {
        const ledger = await RunLedger.open(newRunId());
        const result = await runEbsBackup(options.plan, { ec2, ledger }, control);
        control.emit({ type: 'result', result: { ...result } });
        return result;
      } finally {
        ec2.destroy();
      }
    },
  });
}
