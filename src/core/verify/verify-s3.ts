import type { S3Client } from '@aws-sdk/client-s3';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { ResourceStack } from '../archive/resources.js';
import type { RunLedger } from '../ledger/ledger.js';
import { phaseRunner } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { listObjects } from '../s3/remote.js';
import { isTreeManifest } from '../restore/s3-tree-manifest.js';
import { s3Url } from '../s3/url.js';
import { checkObject, type CheckTurn } from './check-object.js';
import type { PartSizeState } from './s3-objects.js';
import { compareTree, type FileChecker } from './compare-tree.js';
import { realHostCommands, type HostCommands } from './host-commands.js';
import { openSource } from './open-source.js';
import type { FileVerdict, VerifyReport, VerifyS3Plan } from './plan.js';
import { buildReport } from './report.js';
import { describeSample } from './sample.js';

export interface VerifyS3Deps {
  s3: S3Client;
  ledger: RunLedger;
  /** How disks are opened on this machine; a recorder in tests. */
  commands?: HostCommands;
  /** Asked only when a TrueCrypt container is found. */
  truecryptPassword?: () => Promise<string>;
  /** Facts about the endpoint worth a log line (a non-AWS endpoint and its settings). */
  endpointNotes?: string[];
}

/**
 * Proves a directory or a returned disk against S3: a uniform sample of its files (or a share, a slice, all)
 * is compared object by object with the strongest evidence S3 keeps, and every object under the prefix that
 * the local side lacks is reported. Nothing is written to the disk (it is mounted read-only) or to S3.
 */
export async function runVerifyS3(plan: VerifyS3Plan, deps: VerifyS3Deps, control: RunControl): Promise<VerifyReport> {
  const { signal, emit } = control;
  const started = Date.now();
  const phase = phaseRunner(emit, signal);
  const stack = new ResourceStack(emit, deps.ledger, false);
  const target = s3Url(plan.remote);
  emit({ type: 'run-start', runId: deps.ledger.runId, command: 'verify' });
  for (const note of deps.endpointNotes ?? []) emit({ type: 'log', message: note });
  try {
    const opened = await (plan.source.kind === 'dir'
      ? openSource(plan.source, sourceContext())
      : phase('open', `Open ${plan.source.path} read-only`, () => openSource(plan.source, sourceContext())));
    const { root } = opened;
    emit({ type: 'log', message: `comparing ${describeSample(plan.sample)} under ${root} with ${target} (seed ${plan.sample.seed})` });

    const { bucket, prefix } = plan.remote;
    // One listing serves both sides of the comparison: what only S3 has, and the proof of single-part objects.
    const listed = listObjects(deps.s3, bucket, prefix, signal);
    listed.catch(() => undefined); // awaited by the comparison; a failure must not go unhandled meanwhile
    // offsite s3's own bookkeeping (the tree manifest under .offsite/) has no local twin: it is not a difference.
    const remote = listed.then((objects) => new Set([...objects.keys()].filter((key) => !key.endsWith('/') && !isTreeManifest(key, prefix)).map((key) => key.slice(prefix.length))));
    remote.catch(() => undefined); // the same: its rejection (the listing's) is reported by whoever awaits it
    const meter = new ProgressMeter('compare', emit, undefined);
    const partState: PartSizeState = { attributes: 'unknown' };
    const context = { s3: deps.s3, bucket, prefix, root, download: plan.download, forks: plan.forks, partState, listed, meter, emit, signal };
    const comparison = await compareTree({
      root,
      sample: plan.sample,
      forks: plan.forks,
      signal,
      emit,
      remote,
      checker: objectChecker(plan.forks, (path, turn) => checkObject(path, context, turn), meter, root, plan.download),
      phase,
    });
    meter.finish();
    return buildReport({
      source: plan.source.path,
      target,
      root,
      sample: plan.sample,
      ...comparison,
      checks: [],
      warnings: [],
      missingOk: plan.missingOk,
      started,
    });
  } finally {
    const leftovers = await stack.releaseAll(control.cleanupSignal);
    if (leftovers.length > 0) emit({ type: 'warning', message: `left behind: ${leftovers.join(', ')}; unmount or detach them by hand` });
  }

  function sourceContext() {
    return {
      commands: deps.commands ?? realHostCommands(),
      stack,
      emit,
      signal,
      runId: deps.ledger.runId,
      bucket: plan.remote.bucket,
      ...(deps.truecryptPassword ? { truecryptPassword: deps.truecryptPassword } : {}),
    };
  }
}

/**
 * `forks` files read (or objects asked about) at a time; the progress total grows as files are chosen. After a
 * failure that stops the run (the endpoint is gone), turns still queued are not started, and the run waits for
 * those in flight.
 */
function objectChecker(
  forks: number,
  check: (path: string, turn: CheckTurn) => Promise<FileVerdict>,
  meter: ProgressMeter,
  root: string,
  download: boolean,
): FileChecker {
  const limit = pLimit(forks);
  const pending: Promise<FileVerdict>[] = [];
  let failure: unknown;
  let total = 0;
  const turn: CheckTurn = (work) =>
    limit(async () => {
      if (failure !== undefined) throw failure;
      return work();
    });
  return {
    add(path) {
      // Sizes are taken at once (not in turn), so the progress total is right before most files are read.
      void stat(join(root, path)).then(
        (s) => meter.setTotal((total += download ? 2 * s.size : s.size)),
        () => undefined,
      );
      const task = check(path, turn).catch((error: unknown) => {
        failure ??= error;
        throw error;
      });
      task.catch(() => undefined); // settled in done(); an early failure must not go unhandled meanwhile
      pending.push(task);
    },
    async done() {
      const settled = await Promise.allSettled(pending);
      if (failure !== undefined) throw failure;
      return settled.map((s) => (s as PromiseFulfilledResult<FileVerdict>).value);
    },
  };
}
