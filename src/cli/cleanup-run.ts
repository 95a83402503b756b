import type { S3Client } from '@aws-sdk/client-s3';
import { ec2Client, resolveAwsContext } from '../aws/clients.js';
import { resolveS3Context, s3Clients, type S3Clients } from '../aws/s3.js';
import { runCleanup } from '../core/cleanup/cleanup.js';
import type { CleanupPlan, CleanupResult } from '../core/cleanup/item.js';
import type { EventSink } from '../core/events.js';
import { stateDir } from '../core/ledger/ledger.js';
import { defaultTimeouts } from '../core/ebs/plan.js';
import { runWork } from './run.js';

/** Wires the cleanup to AWS (EC2 always, S3 only if an upload or staged copy needs it) and the presenter. */
export async function executeCleanup(options: {
  plan: Omit<CleanupPlan, 'stateDir' | 'timeoutMs'>;
  region?: string;
  profile?: string;
  sink: EventSink;
  onResult: (result: CleanupResult) => void;
  /** "interrupted: cleaning up (press Ctrl-C again …)", where the presenter shows it. */
  onInterruptNotice?: (message: string) => void;
}): Promise<number> {
  const where = { ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}) };
  return runWork({
    sink: options.sink,
    onResult: options.onResult,
    ...(options.onInterruptNotice ? { onInterruptNotice: options.onInterruptNotice } : {}),
    work: async (control) => {
      const context = await resolveAwsContext(where);
      const ec2 = ec2Client(context);
      let s3: S3Clients | undefined;
      const s3Client = async (): Promise<S3Client> => {
        s3 ??= s3Clients(await resolveS3Context(where));
        return s3.control;
      };
      try {
        const result = await runCleanup({ ...options.plan, stateDir: stateDir(), timeoutMs: defaultTimeouts.cleanupMs }, { ec2, region: context.region, s3: s3Client }, control);
        control.emit({ type: 'result', result: { ...result } });
        return result;
      } finally {
        ec2.destroy();
        s3?.destroy();
      }
    },
  });
}
