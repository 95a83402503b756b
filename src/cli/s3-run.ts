import type { CedarResult, S3StoreResult } from '../core/s3/plan.js';
import { cedarStorePhases, s3StorePhases } from '../core/s3/phases.js';
import { resolveS3Context, s3Clients } from '../aws/s3.js';
import { RunLedger, newRunId, stateDir } from '../core/ledger/ledger.js';
import { runS3Store } from '../core/s3/store.js';
import { runCedarStore } from '../core/s3/cedar.js';
import { s3ResultLines } from '../ui/s3-result.js';
import { choosePresenter, type Presenter } from './output-mode.js';
import type { S3CommandInput, S3Plans } from './plans/s3.js';
import type { SharedFlags } from './shared-flags.js';
import { runWork } from './run.js';

type S3Flags = Pick<S3CommandInput, 'checksumAlgorithm'> & SharedFlags;

/** Runs a store (a directory, or Cedar's day) under the chosen presenter and shows its result; returns the exit code. */
export async function executeS3(plans: S3Plans, flags: S3Flags, nonAws: boolean): Promise<number> {
  const json = Boolean(flags.json);
  const store = plans.kind === 'dir' ? plans.plan : plans.plan.store;
  const shape = { encrypted: store.encryption.kind !== 'none', dryRun: store.dryRun };
  const presenter = await choosePresenter(flags, 'offsite', plans.kind === 'dir' ? s3StorePhases(shape) : cedarStorePhases(shape));
  let finished: S3StoreResult | CedarResult | undefined;
  const code = await runS3Plans(plans, flags, presenter, (result) => (finished = result), nonAws && flags.checksumAlgorithm === undefined);
  await presenter.close();
  if (finished && !json) presenter.result(s3ResultLines(finished));
  return code;
}

async function runS3Plans(
  plans: S3Plans,
  flags: S3Flags,
  presenter: Presenter,
  onResult: (result: S3StoreResult | CedarResult) => void,
  defaultedToCrc32: boolean,
): Promise<number> {
  return runWork<S3StoreResult | CedarResult>({
    sink: presenter.sink,
    onResult,
    onInterruptNotice: (message) => presenter.notice(message),
    work: async (control) => {
      const context = await resolveS3Context({
        ...(flags.region ? { region: flags.region } : {}),
        ...(flags.profile ? { profile: flags.profile } : {}),
      });
      const endpointNotes = context.nonAws
        ? [
            `endpoint ${context.endpoint} is not AWS: path-style addressing; SDK checksums only where an operation requires them (WHEN_REQUIRED)`,
            ...(defaultedToCrc32
              ? ['full-object CRC32 instead of CRC64NVME (moto 5.2 without awscrt stores a CRC32 under the CRC64NVME name); --checksum-algorithm overrides']
              : []),
          ]
        : [];
      const clients = s3Clients(context);
      try {
        const dir = stateDir();
        const ledger = await RunLedger.open(newRunId(), dir);
        const deps = { s3: clients, ledger, stateDir: dir, endpointNotes };
        const result = plans.kind === 'dir' ? await runS3Store(plans.plan, deps, control) : await runCedarStore(plans.plan, deps, control);
        control.emit({ type: 'result', result: { ...result } });
        return result;
      } finally {
        clients.destroy();
      }
    },
  });
}
