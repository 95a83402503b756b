import { tmpdir } from 'node:os';
import { runArchive } from '../core/archive/archive.js';
import type { ArchiveResult } from '../core/archive/plan.js';
import { archivePhases } from '../core/archive/phases.js';
import { realRunner } from '../core/archive/runner.js';
import { RunLedger, newRunId, stateDir } from '../core/ledger/ledger.js';
import { archiveResultLines } from '../ui/archive-result.js';
import { choosePresenter } from './output-mode.js';
import type { ArchiveRun } from './plans/archive.js';
import { runWork } from './run.js';

/** Runs the archive under the chosen presenter and shows its result; returns the exit code. */
export async function executeArchive({ plan, output, quietResult }: ArchiveRun): Promise<number> {
  // --noop runs no steps: the commands it lists are its output.
  const presenter = await choosePresenter(output, 'offsite', plan.noop ? undefined : archivePhases(plan.profile));
  let finished: ArchiveResult | undefined;
  const code = await runWork({
    sink: presenter.sink,
    work: async (control) => {
      const runId = newRunId();
      const ledger = plan.noop ? undefined : await RunLedger.open(runId);
      const deps = { runner: realRunner(), runId, stateDir: stateDir(), tmpDir: tmpdir(), now: () => new Date(), ...(ledger ? { ledger } : {}) };
      const result = await runArchive(plan, deps, control);
      control.emit({ type: 'result', result: { ...result } });
      return result;
    },
    onResult: (result) => (finished = result),
    onInterruptNotice: (message) => presenter.notice(message),
  });
  await presenter.close();
  if (finished) presenter.result(archiveResultLines(finished, { quiet: quietResult }));
  return code;
}
