import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../../errors.js';
import { newRunId } from '../ledger/ledger.js';
import { phaseRunner } from '../phases.js';
import type { RunControl } from '../run-control.js';
import { findInstances, findVolumes } from './find-ec2.js';
import { judgeLedgerLeftover, ledgerLeftovers } from './find-local.js';
import { passesFilters, type CleanupItem, type CleanupPlan, type CleanupResult } from './item.js';
import { closeInLedger, removalOrder, removeItem } from './remove.js';
import { RunVerdicts } from './runs.js';

export interface CleanupDeps {
  ec2: EC2Client;
  region: string;
  s3: () => Promise<S3Client>;
}

const RELEASED = { terminate: 'terminated', delete: 'deleted', unlock: 'removed', abort: 'deleted', remove: 'removed', unmount: 'unmounted' } as const;

/**
 * Finds everything offsite created and did not release — by the tags on EC2 resources and by the run ledgers on
 * this machine — says for each why it is or is not removable, and with `remove` removes what is. Never touches
 * a volume holding a completed backup or one the user named, nor anything of a run that is still running.
 */
export async function runCleanup(plan: CleanupPlan, deps: CleanupDeps, control: RunControl): Promise<CleanupResult> {
  const { emit, signal } = control;
  const phase = phaseRunner(emit, signal);
  emit({ type: 'run-start', runId: newRunId(), command: plan.remove ? 'cleanup (remove)' : 'cleanup' });
  const runs = new RunVerdicts(plan.stateDir, plan.runId);

  const found = await phase('scan', `Look for what offsite left behind in ${deps.region} and in ${plan.stateDir}`, async () => {
    const items: CleanupItem[] = [...(await findInstances(deps.ec2, deps.region, runs)), ...(await findVolumes(deps.ec2, deps.region, runs))];
    for (const leftover of await ledgerLeftovers(plan.stateDir, plan.runId)) {
      const item = await judgeLedgerLeftover(leftover, runs);
      if (item) items.push(item);
    }
    return items.filter((item) => passesFilters(plan, item));
  });

  let removed = 0;
  let failed = 0;
  if (plan.remove) {
    for (const item of removalOrder(found)) {
      const action = RELEASED[item.action as keyof typeof RELEASED];
      try {
        await phase(`cleanup:${item.kind}`, `${capitalise(item.action)} ${item.kind} ${item.id}`, () => removeItem(item, { ec2: deps.ec2, s3: deps.s3, stateDir: plan.stateDir, timeoutMs: plan.timeoutMs, signal }));
        item.outcome = 'removed';
        removed++;
        emit({ type: 'resource-released', kind: item.kind, id: item.id, action });
        await closeInLedger(plan.stateDir, item, action);
      } catch (error) {
        if (signal.aborted) throw error;
        item.outcome = 'failed';
        item.error = describeError(error);
        failed++;
        emit({ type: 'warning', message: `${item.kind} ${item.id}: ${item.error}` });
      }
    }
    // Already gone: nothing to remove, but the ledger should stop pointing at it.
    for (const item of found.filter((i) => !i.left && /already gone|no longer mounted/.test(i.reason))) await closeInLedger(plan.stateDir, item, 'gone');
  }
  const left = found.filter((item) => item.left && item.outcome !== 'removed').length;
  return { items: found, left, removed, failed, region: deps.region };
}

function capitalise(text: string): string {
  return text === 'by-hand' ? 'Remove' : text.charAt(0).toUpperCase() + text.slice(1);
}
