import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Advice } from '../../errors.js';
import { parseLedger, runProcessState } from '../ledger/ledger.js';

export interface RunVerdict {
  /** The run has ended (or was killed): what it left is safe to remove. */
  over: boolean;
  /** Counts as left behind: over, or unknown here (someone must decide). */
  left: boolean;
  why: string;
  /** What would make it removable (naming the run), for the face to word after `why`. */
  advice?: Advice;
}

/**
 * Whether the run that made something is over, decided once per run from its ledger on this machine. A run
 * whose ledger is elsewhere may still be working there, so its resources are only removable when the user
 * names it.
 */
export class RunVerdicts {
  private readonly cache = new Map<string, Promise<RunVerdict>>();

  constructor(
    private readonly stateDir: string,
    private readonly namedRun?: string,
  ) {}

  verdict(runId: string): Promise<RunVerdict> {
    let found = this.cache.get(runId);
    if (!found) {
      found = this.decide(runId);
      this.cache.set(runId, found);
    }
    return found;
  }

  private async decide(runId: string): Promise<RunVerdict> {
    if (!runId) return { over: false, left: true, why: 'it carries no run id; remove it by hand' };
    const state = await runProcessState(runId, this.stateDir);
    if (state === 'alive') return { over: false, left: false, why: `run ${runId} is still running` };
    if (state === 'dead') return { over: true, left: true, why: `run ${runId} is over` };
    if (this.namedRun === runId) return { over: true, left: true, why: `run ${runId} was named (its ledger is not on this machine)` };
    return { over: false, left: true, why: `run ${runId} has no ledger on this machine and may still be running elsewhere`, advice: { remedy: 'namedRun', remedyValue: runId } };
  }

  /** Whether the run itself handed the volume over as a finished backup (its ledger says "kept"). */
  async keptByRun(runId: string, volumeId: string): Promise<boolean> {
    const text = await readFile(join(this.stateDir, 'runs', `${runId}.jsonl`), 'utf8').catch(() => '');
    return parseLedger(text).some((e) => e.op === 'released' && e.kind === 'volume' && e.id === volumeId && e.action === 'kept');
  }
}
