import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_DEPS, LATEST_SUCCESSFUL, parseBackupDeps, restoreChain, slicesOf } from '../archive/chain.js';
import { darExtractArgs, darTestArgs, describeDarExit } from '../archive/dar.js';
import { OffsiteError, UsageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { phaseRunner } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { runForStatus } from '../host/command.js';
import type { RestoreResult, RestoreTargetOptions } from './plan.js';
import { checkTarget, countTree, openStaging } from './target.js';

export interface ArchiveRestorePlan extends RestoreTargetOptions {
  /** A monthly set written by `offsite archive`: slices, backup_deps, latest_successful. */
  setDir: string;
  /** Restore the chain only up to the last archive made at or before this time. */
  asOf?: Date;
}

/** `YYYY-MM-DDTHHMM` in an archive's name (local time, as the archive step writes it). */
export function archiveTime(name: string): Date | undefined {
  const m = /(\d{4})-(\d\d)-(\d\d)T(\d\d)(\d\d)(?:-\d+)?-(?:FULL|INC)$/.exec(name);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])) : undefined;
}

/** "2024-05-01" means the end of that day (local time); anything else must be a date Date.parse reads. */
export function parseAsOf(text: string): Date {
  const day = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text.trim());
  const when = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]), 23, 59, 59, 999) : new Date(text);
  if (Number.isNaN(when.getTime())) throw new UsageError(`'${text}' is not a date (YYYY-MM-DD or ISO-8601)`, { input: 'asOf' });
  return when;
}

/** The archive to restore to: the newest one made at or before `asOf`, or the set's latest good one. */
export function chooseEnd(deps: Map<string, string>, latest: string | undefined, asOf: Date | undefined, setDir: string): string {
  if (!asOf) {
    const end = latest || [...deps.keys()].at(-1);
    if (!end) throw new UsageError(`${setDir}: ${BACKUP_DEPS} lists no archive`);
    return end;
  }
  const candidates = [...deps.keys()].filter((name) => (archiveTime(name)?.getTime() ?? Infinity) <= asOf.getTime());
  const end = candidates.sort((a, b) => archiveTime(a)!.getTime() - archiveTime(b)!.getTime() || [...deps.keys()].indexOf(a) - [...deps.keys()].indexOf(b)).at(-1);
  if (!end) throw new UsageError(`${setDir} holds no archive that old`, { input: 'asOf', value: asOf.toISOString() });
  return end;
}

/**
 * Restores a dar chain: FULL, then each INC in order up to the chosen one. Every archive is tested (dar -t) before
 * the first is extracted; extraction goes into a staging directory beside TARGET, moved into place at the end.
 */
export async function runArchiveRestore(plan: ArchiveRestorePlan, control: RunControl): Promise<RestoreResult> {
  const { signal, emit } = control;
  const started = Date.now();
  const phase = phaseRunner(emit, signal);
  emit({ type: 'run-start', runId: `restore-${started}`, command: `restore archive ${plan.setDir}` });
  await checkTarget(plan.target, plan.overwrite);
  const depsText = await readFile(join(plan.setDir, BACKUP_DEPS), 'utf8').catch(() => undefined);
  if (depsText === undefined) throw new UsageError(`not an archive set written by offsite archive (no ${BACKUP_DEPS})`, { input: 'archive', value: plan.setDir });
  const deps = parseBackupDeps(depsText);
  const latest = (await readFile(join(plan.setDir, LATEST_SUCCESSFUL), 'utf8').catch(() => '')).trim() || undefined;
  const chain = restoreChain(deps, chooseEnd(deps, latest, plan.asOf, plan.setDir));
  const files = await readdir(plan.setDir);
  const sizes = new Map<string, number>();
  for (const name of chain) {
    const slices = slicesOf(files, name);
    if (slices.length === 0) throw new OffsiteError(`${name}.1.dar is missing from ${plan.setDir}: the chain is broken`);
    let bytes = 0;
    for (const slice of slices) bytes += (await stat(join(plan.setDir, slice))).size;
    sizes.set(name, bytes);
  }
  emit({ type: 'log', message: `restoring the chain ${chain.join(' → ')}` });
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);

  const testMeter = new ProgressMeter('test', emit, total);
  await phase('test', `Test ${chain.length} archive(s) with dar -t`, async () => {
    for (const name of chain) {
      const outcome = await runForStatus(darTestArgs(join(plan.setDir, name)), signal);
      if (outcome.code !== 0) {
        throw new OffsiteError(`${name} fails dar -t (${describeDarExit(outcome.code)}${outcome.lastError ? `: ${outcome.lastError}` : ''}); nothing was written into the target`, ExitCode.differences);
      }
      testMeter.add(sizes.get(name)!);
    }
    testMeter.finish();
  });
  if (plan.dryRun) {
    return { source: plan.setDir, target: plan.target, method: 'dar', dryRun: true, files: 0, bytes: 0, verified: 0, skipped: 0, proof: `dar -t of ${chain.length} archive(s)`, elapsedMs: Date.now() - started, entries: chain };
  }
  const staging = await openStaging(plan.target, emit);
  try {
    const meter = new ProgressMeter('extract', emit, total);
    await phase('extract', `Extract ${chain.length} archive(s) in order with dar -x`, async () => {
      for (const name of chain) {
        const args = [...darExtractArgs(join(plan.setDir, name), staging.dir), ...plan.include.flatMap((p) => ['-g', p])];
        const outcome = await runForStatus(args, signal);
        if (outcome.code !== 0) throw new OffsiteError(`dar -x ${name} failed (${describeDarExit(outcome.code)}${outcome.lastError ? `: ${outcome.lastError}` : ''})`);
        meter.add(sizes.get(name)!);
      }
      meter.finish();
    });
    const counts = await countTree(staging.dir);
    await phase('promote', `Move the restored tree into ${plan.target}`, () => staging.promote());
    return {
      source: plan.setDir,
      target: plan.target,
      method: 'dar',
      dryRun: false,
      files: counts.files,
      bytes: counts.bytes,
      verified: counts.files,
      skipped: 0,
      proof: `dar -t of ${chain.length} archive(s) (${chain.join(', ')})`,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    await staging.discard().catch(() => undefined);
    throw error;
  }
}
