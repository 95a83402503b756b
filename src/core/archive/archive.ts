import { lstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OffsiteError, UsageError, describeError } from '../../errors.js';
import { LeftBehindError, cleanupCommand, describeLeftovers } from '../left-behind.js';
import { measureDir } from '../ebs/source-dir.js';
import { phaseRunner, skipPhase, type Emit } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { catalogueName, monthSet, nextInChain, recordSuccess, slicesOf, type ChainStep } from './chain.js';
import { DAR_DIRTY, addedPath, darCreateArgs, darIsolateArgs, darTestArgs, describeDarExit, parseDarStats, type DarStats } from './dar.js';
import { lockHolder } from '../host/lock-file.js';
import { acquireLock, lockPathFor } from './lock.js';
import { bindMount, heldMount } from './mounts.js';
import type { ArchiveDeps, ArchivePlan, ArchiveResult } from './plan.js';
import type { ArchiveProfile } from './profile.js';
import { ResourceStack } from './resources.js';
import { CommandFailed, Shell } from './shell.js';
import type { SnapshotSource } from './snapshot-source.js';
import { makeSource } from './source.js';

/**
 * One archive run, in the original's order: clean a crashed run's snapshot, snapshot, mount, bind, dar
 * (FULL or INC of the monthly chain), then in `finally` unmount binds, unmount, remove the snapshot; then the
 * rsync mirror. Additions: a lock, checks that a leftover really is our snapshot, a full-snapshot check,
 * `dar -t` and an isolated catalogue before an archive counts as `latest_successful`.
 */
export async function runArchive(plan: ArchivePlan, deps: ArchiveDeps, control: RunControl): Promise<ArchiveResult> {
  const { profile, noop } = plan;
  const { signal, emit } = control;
  const started = Date.now();
  // Under --noop the commands are the output; phase lines would only claim work that was not done.
  const phase: Phase = noop ? (_id, _title, work) => work() : phaseRunner(emit, signal);
  const shell = new Shell(deps.runner, emit, noop);
  const stack = new ResourceStack(emit, deps.ledger, noop);
  const source = makeSource({ shell, profile, emit, runId: deps.runId, tmpDir: deps.tmpDir });
  const now = deps.now();

  emit({ type: 'run-start', runId: deps.runId, command: `archive ${profile.file}${noop ? ' (noop)' : ''}` });
  for (const warning of profile.warnings) emit({ type: 'warning', message: warning });
  if (noop) emit({ type: 'warning', message: "noop set, won't do anything for real: listing the commands instead" });

  // Checks that change nothing, then the lock: each fails alone, in one line, before anything else is held.
  await checkPaths(shell, profile);
  await source.check(signal);
  await takeLock(stack, deps.stateDir, profile.file, noop, emit);
  const heldBeforeSnapshot = stack.size;

  let failure: unknown;
  let archived: Omit<ArchiveResult, 'commands' | 'elapsedMs' | 'mirroredTo'> | undefined;
  try {
    await phase('stale', 'Look for a snapshot left by an earlier run', () => source.cleanStale(signal));

    const setRoot = monthSet(profile.target, now);
    if (!(await shell.runner.exists(setRoot))) await shell.change({ op: 'mkdir', path: setRoot });
    const step = await nextInChain(shell.runner, setRoot, profile.archivePrefix, now, (message) => emit({ type: 'warning', message }));
    emit({ type: 'log', message: step.kind === 'full' ? `Full backup: ${step.name}` : `Incremental backup: ${step.name}, based on parent: ${step.parent}` });

    const root = await phase('snapshot', `Create ${source.description}`, () => source.open(stack, signal));
    if (profile.bindMounts.length > 0) {
      await phase('bind', `Bind-mount ${profile.bindMounts.join(' ')}`, () => bindAll(shell, source, stack, root, profile.bindMounts, signal));
    }
    let measured: { bytes: number; files: number } | undefined;
    if (!noop) measured = await phase('measure', `Measure ${root}`, () => (deps.measure ?? measureDir)(root, signal));

    const made = await makeArchive({ shell, source, profile, step, setRoot, root, total: step.kind === 'full' ? measured?.bytes : undefined, phase, emit, signal });
    archived = {
      profile: profile.file,
      noop,
      source: profile.source.type,
      snapshot: source.description,
      kind: step.kind,
      archive: step.name,
      ...(step.parent ? { parent: step.parent } : {}),
      set: setRoot,
      ...made,
      ...(measured ? { sourceBytes: measured.bytes, sourceFiles: measured.files } : {}),
    };
  } catch (error) {
    failure = error;
  }

  // Teardown (binds, snapshot mount, mount point, snapshot), even after Ctrl-C; a second Ctrl-C abandons it.
  const leftovers = await stack.releaseAll(control.cleanupSignal, heldBeforeSnapshot);
  if (leftovers.length > 0) {
    emit({ type: 'warning', message: `left behind: ${describeLeftovers(leftovers)}; run '${cleanupCommand(deps.runId)}' (a later run clears a leftover snapshot)` });
    failure = new LeftBehindError(leftovers, deps.runId, failure);
  }

  let mirroredTo: string | undefined;
  try {
    mirroredTo = await mirror(shell, profile, { archived: archived !== undefined, cleanedUp: leftovers.length === 0, failure }, phase, emit, signal);
  } catch (error) {
    if (failure) emit({ type: 'warning', message: `rsync mirror failed too: ${describeError(error)}` });
    failure ??= error;
  }
  const lockLeft = await stack.releaseAll(control.cleanupSignal);
  if (lockLeft.length > 0) {
    emit({ type: 'warning', message: `left behind: ${describeLeftovers(lockLeft)}; run '${cleanupCommand(deps.runId)}'` });
    const earlier = failure instanceof LeftBehindError ? failure : undefined;
    failure = new LeftBehindError([...(earlier?.leftBehind ?? []), ...lockLeft], deps.runId, earlier ? earlier.failure : failure, archived);
  }

  if (failure !== undefined || !archived) throw failure ?? new OffsiteError('the archive was not made');
  return { ...archived, ...(mirroredTo ? { mirroredTo } : {}), commands: shell.commands, elapsedMs: Date.now() - started };
}

/** Paths the profile names must exist before anything is made (a missing target is often an unmounted share). */
async function checkPaths(shell: Shell, profile: ArchiveProfile): Promise<void> {
  const where = (key: string): string => `${profile.file}:${profile.lines[key] ?? 0}`;
  if (!(await shell.runner.exists(profile.target))) {
    throw new UsageError(`${where('backup.target')}: [backup] target: ${profile.target} does not exist (create it, or mount what should be there)`);
  }
  for (const path of profile.bindMounts) {
    if (!(await shell.runner.exists(path))) throw new UsageError(`${where('bindmounts.equals')}: [bindmounts] equals: ${path} does not exist`);
  }
  if (profile.rsync && !(await shell.runner.exists(profile.rsync.targetDir))) {
    throw new UsageError(`${where('rsync.target_dir')}: [rsync] target_dir: ${profile.rsync.targetDir} does not exist`);
  }
}

async function takeLock(stack: ResourceStack, stateDir: string, profileFile: string, noop: boolean, emit: Emit): Promise<void> {
  const path = await lockPathFor(stateDir, profileFile);
  if (noop) {
    const holder = await lockHolder(path);
    if (holder) emit({ type: 'warning', message: `a real run now would stop here: pid ${holder.pid} holds ${path}` });
    return;
  }
  const lock = await acquireLock(path, profileFile);
  if (lock.replaced) emit({ type: 'warning', message: `took over the lock of a run that died (pid ${lock.replaced.pid}, since ${lock.replaced.started})` });
  await stack.add({
    kind: 'lock',
    id: path,
    title: `Release the lock ${path}`,
    release: async () => {
      await lock.release();
      return 'removed';
    },
  });
}

/** Bind mounts into the snapshot at the same path; missing targets are made while the snapshot is briefly writable. */
async function bindAll(shell: Shell, source: SnapshotSource, stack: ResourceStack, root: string, binds: string[], signal: AbortSignal): Promise<void> {
  const missing: string[] = [];
  for (const path of binds) {
    const inside = join(root, path);
    // Under --noop the snapshot does not exist: look at the live origin instead.
    const live = shell.noop ? await source.livePath(path.slice(1)) : inside;
    if (live !== undefined && !(await shell.runner.exists(live))) missing.push(inside);
  }
  if (missing.length > 0) {
    await source.withWritable(signal, async () => {
      for (const dir of missing) await shell.change({ op: 'mkdir', path: dir, parents: true });
    });
  }
  for (const path of binds) {
    const inside = join(root, path);
    await bindMount(shell, path, inside);
    await stack.add(heldMount(shell, inside), `bind of ${path}`, signal);
  }
}

type Phase = <T>(id: string, title: string, work: () => Promise<T>) => Promise<T>;

interface MakeArchive {
  shell: Shell;
  source: SnapshotSource;
  profile: ArchiveProfile;
  step: ChainStep;
  setRoot: string;
  root: string;
  total: number | undefined;
  phase: Phase;
  emit: Emit;
  signal: AbortSignal;
}

/**
 * dar -c, the snapshot check, dar -t, catalogue isolation, then the bookkeeping. Anything failing on the way
 * (or Ctrl-C) removes this archive's slices: a broken archive never becomes `latest_successful`.
 */
async function makeArchive(m: MakeArchive): Promise<Pick<ArchiveResult, 'slices' | 'bytes' | 'catalogue' | 'tested' | 'stats'>> {
  const { shell, profile, step, setRoot, phase, signal } = m;
  const base = join(setRoot, step.name);
  const catalogue = catalogueName(step.name);
  try {
    const stats = await phase('dar', `dar ${step.kind} archive ${step.name}`, async () => {
      try {
        return await darCreate(m, base);
      } catch (error) {
        // An overflowing LVM snapshot makes dar fail with read errors: name the real cause.
        if (!signal.aborted) await m.source.verify(signal);
        throw error;
      }
    });
    await phase('snapshot-check', 'Check the snapshot did not overflow', () => m.source.verify(signal));
    if (profile.dar.test) await phase('dar-test', `Test ${step.name} (dar -t)`, () => darRun(shell, darTestArgs(base), signal));
    if (profile.dar.isolate) await phase('dar-isolate', `Isolate the catalogue of ${step.name}`, () => darRun(shell, darIsolateArgs(join(setRoot, catalogue), base), signal));
    await phase('record', `Record ${step.name} in ${setRoot}`, async () => {
      for (const change of recordSuccess(setRoot, step)) await shell.change(change);
    });
    const slices = slicesOf(await shell.runner.list(setRoot), step.name);
    let bytes = 0;
    for (const slice of slices) bytes += (await stat(join(setRoot, slice)).catch(() => undefined))?.size ?? 0;
    return { slices, bytes, ...(profile.dar.isolate ? { catalogue } : {}), tested: profile.dar.test, stats };
  } catch (error) {
    await discard(shell, setRoot, step.name);
    throw error;
  }
}

async function darCreate(m: MakeArchive, base: string): Promise<DarStats> {
  const { shell, step, setRoot, profile, emit, signal } = m;
  const meter = new ProgressMeter('dar', emit, m.total);
  const argv = darCreateArgs({ base, root: m.root, ...(step.parent ? { reference: join(setRoot, step.parent) } : {}), subdirs: profile.subdirs, dar: profile.dar });
  const result = await darRun(shell, argv, signal, (line) => {
    const path = addedPath(line);
    if (!path) return;
    // dar names each file before reading it; the snapshot is frozen, so its size is the work ahead.
    try {
      const info = lstatSync(path);
      if (info.isFile()) meter.add(info.size);
    } catch {
      // vanished (only possible without a snapshot): dar will say so
    }
  });
  if (!result.skipped) meter.finish();
  const stats = parseDarStats(result.stdout);
  if (result.code === DAR_DIRTY) {
    emit({ type: 'warning', message: `${stats.dirty ?? 'some'} file(s) changed while dar read them (no snapshot): dar flagged them dirty in ${step.name}` });
  }
  emit({ type: 'log', message: `dar: ${stats.saved ?? '?'} saved, ${stats.unchanged ?? 0} unchanged, ${stats.deleted ?? 0} recorded as deleted` });
  return stats;
}

/** Runs dar; a failure is one line with dar's own meaning of the exit code. */
async function darRun(shell: Shell, argv: string[], signal: AbortSignal, onLine?: (line: string) => void) {
  try {
    return await shell.run({ argv, stopSignal: 'SIGUSR2', ...(onLine ? { onStdoutLine: onLine } : {}) }, signal, argv[1] === '-c' ? [0, DAR_DIRTY] : [0]);
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    const said = error.message.split(': ').slice(1).join(': ');
    throw new OffsiteError(`dar ${argv[1]} failed (exit ${error.result.code}: ${describeDarExit(error.result.code)})${said ? `: ${said}` : ''}`);
  }
}

/** Removes a failed archive's slices and catalogue (only this run's names). */
async function discard(shell: Shell, setRoot: string, name: string): Promise<void> {
  const files = await shell.runner.list(setRoot);
  for (const file of [...slicesOf(files, name), ...slicesOf(files, catalogueName(name))]) {
    await shell.change({ op: 'remove', path: join(setRoot, file) }).catch(() => undefined);
  }
}

/** The original's `rsync -a -v <target>/ <target_dir>/`, after the teardown; not after a failure unless asked. */
async function mirror(
  shell: Shell,
  profile: ArchiveProfile,
  state: { archived: boolean; cleanedUp: boolean; failure: unknown },
  phase: Phase,
  emit: Emit,
  signal: AbortSignal,
): Promise<string | undefined> {
  const rsync = profile.rsync;
  if (!rsync) return undefined;
  const title = `Mirror ${profile.target} to ${rsync.targetDir}`;
  if (signal.aborted) return void skipPhase(emit, 'rsync', title, 'interrupted');
  if (!state.cleanedUp) return void skipPhase(emit, 'rsync', title, 'the clean-up failed');
  if (!state.archived && !rsync.evenIfBackupFailed) return void skipPhase(emit, 'rsync', title, 'the archive failed (set [rsync] even_if_backup_failed = true to mirror anyway)');
  const argv = ['rsync', '-a', '-v', ...(rsync.delete ? ['--delete'] : []), `${profile.target}/`, `${rsync.targetDir}/`];
  await phase('rsync', title, () => shell.run({ argv }, signal));
  return rsync.targetDir;
}
