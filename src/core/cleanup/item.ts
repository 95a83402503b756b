import type { Advice } from '../../errors.js';
import type { ResourceKind } from '../events.js';

/** What `offsite cleanup --yes` does (or would do) with an item. */
export type CleanupAction = 'terminate' | 'delete' | 'unlock' | 'abort' | 'remove' | 'unmount' | 'keep' | 'by-hand';

/** One thing offsite created and did not release, and the verdict on it. */
export interface CleanupItem {
  kind: ResourceKind;
  id: string;
  region?: string;
  /** The run that created it, when known (tag or ledger). */
  runId?: string;
  /** When it was created (ISO), when known. */
  created?: string;
  action: CleanupAction;
  /** Whether `--yes` removes it. */
  removable: boolean;
  /** Whether it counts as left behind (something someone must act on): removable or only by hand. */
  left: boolean;
  /** Why it is or is not removable, in a few words. */
  reason: string;
  /** What would change the verdict (naming the run), for the face to word after `reason`. */
  advice?: Advice;
  /** After `--yes`: what happened. */
  outcome?: 'removed' | 'failed';
  error?: string;
  /** Where it came from, for the remover: the S3 bucket/key of an upload, the instance a volume hangs on. */
  detail?: Record<string, string>;
}

export interface CleanupPlan {
  /** Only this run's leftovers. */
  runId?: string;
  /** Only what is at least this old. */
  olderThanMs?: number;
  /** Remove what is removable (`--yes`); otherwise only list. */
  remove: boolean;
  /** The ledger directory (OFFSITE_STATE_DIR or ~/.local/state/offsite). */
  stateDir: string;
  /** Time limit for one removal (terminate, delete) to finish. */
  timeoutMs: number;
}

export interface CleanupResult {
  items: CleanupItem[];
  /** Items still left after this run (listing: all left items; --yes: those not removed). */
  left: number;
  removed: number;
  failed: number;
  region: string;
}

/** Keeps an item the filters let through: its run (--run) and its age (--older-than). */
export function passesFilters(plan: CleanupPlan, item: { runId?: string; created?: string }, now = Date.now()): boolean {
  if (plan.runId && item.runId !== plan.runId) return false;
  if (plan.olderThanMs !== undefined) {
    const created = item.created ? Date.parse(item.created) : NaN;
    // Unknown age: only an explicit --run vouches for it.
    if (Number.isNaN(created)) return Boolean(plan.runId);
    if (now - created < plan.olderThanMs) return false;
  }
  return true;
}
