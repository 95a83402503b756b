import { UsageError } from '../../errors.js';
import type { CleanupPlan } from '../../core/cleanup/item.js';
import { parseDuration } from '../../core/cleanup/duration.js';
import { escapeName } from '../../util/escape-name.js';

/** The command line as commander parsed it. */
export interface CleanupCommandInput {
  run?: string;
  olderThan?: string;
  yes?: boolean;
}

/** The run ids newRunId() makes: 20261201-220315-a1b2c3. */
const RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

/** What to look at and whether to remove it; where the ledgers are and the time limits come from the run. */
export function buildCleanupPlan(input: CleanupCommandInput): Omit<CleanupPlan, 'stateDir' | 'timeoutMs'> {
  if (input.run !== undefined && !RUN_ID.test(input.run)) throw new UsageError(`--run ${escapeName(input.run)}: not a run id (like 20261201-220315-a1b2c3)`);
  const olderThanMs = input.olderThan !== undefined ? parseDuration(input.olderThan, 'olderThan') : undefined;
  return { ...(input.run ? { runId: input.run } : {}), ...(olderThanMs !== undefined ? { olderThanMs } : {}), remove: Boolean(input.yes) };
}
