import { ec2Client, resolveAwsContext } from '../aws/clients.js';
import { runEbsBackup } from '../core/ebs/backup.js';
import type { EbsBackupPlan, EbsBackupResult } from '../core/ebs/plan.js';
import type { EventSink } from '../core/events.js';
import { RunLedger, newRunId } from '../core/ledger/ledger.js';
import { LeftBehindError, cleanupCommand } from '../core/left-behind.js';
import type { Wording } from '../errors.js';
import { runWork } from './run.js';

/** Wires a plan to AWS, a fresh run ledger and the chosen presenter; returns the exit code. */
export async function executeEbsBackup(options: {
  plan: EbsBackupPlan;
  region?: string;
  profile?: string;
  sink: EventSink;
  onResult: (result: EbsBackupResult) => void;
  onInterruptNotice?: (message: string) => void;
  words?: Wording;
}): Promise<number> {
  return runWork({
    ...(options.words ? { words: options.words } : {}),
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
        try {
          const result = await runEbsBackup(options.plan, { ec2, ledger }, control);
          control.emit({ type: 'result', result: { ...result } });
          return result;
        } catch (error) {
          // The backup finished but its clean-up did not: the result still counts and is shown, with what is left.
          if (error instanceof LeftBehindError && error.result) {
            const result = error.result as EbsBackupResult;
            control.emit({ type: 'result', result: { ...result, leftBehind: error.leftBehind, cleanup: cleanupCommand(error.runId) } });
            options.onResult(result);
          }
          throw error;
        }
      } finally {
        ec2.destroy();
      }
    },
  });
}
