/**
 * Everything that can end a run from outside, turned into one stream of "presses":
 *
 * - A signal (SIGINT, SIGTERM, SIGHUP). A terminal sends Ctrl-C to the whole process group, `timeout` and
 *   systemd to the main pid only. Where bin/launch.js had to start us as a child of an older node, it relays
 *   what it receives over the IPC channel with a running count; a signal that reached both of us is counted
 *   once (the larger of the two counts), so one Ctrl-C is one press whoever sent it.
 * - The output going away (EPIPE or EIO on stdout or stderr: a closed pipe, a vanished terminal).
 * - The process that started us going away (npx or a launcher killed on its own): we are orphaned.
 *
 * The last two are never more than a first press: they stop the work, and the clean-up still runs.
 */
import { ExitCode } from '../exit-codes.js';
import { InterruptedError, OffsiteError } from '../errors.js';

export type InterruptCause =
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'output-closed'; stream: 'stdout' | 'stderr' }
  | { kind: 'parent-gone' };

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type HandledSignal = (typeof SIGNALS)[number];

/** The message bin/launch.js relays: the launcher's own count of `signal` so far. */
interface RelayedSignal {
  offsiteSignal: HandledSignal;
  count: number;
}

/** Stdout or stderr went away: the run stops and cleans up, and exits as a process killed by SIGPIPE would. */
export class OutputClosedError extends OffsiteError {
  constructor(stream: string) {
    super(`${stream} was closed`, ExitCode.outputClosed);
    this.name = 'OutputClosedError';
  }
}

export function errorFor(cause: InterruptCause): OffsiteError {
  if (cause.kind === 'output-closed') return new OutputClosedError(cause.stream);
  if (cause.kind === 'parent-gone') return new InterruptedError('interrupted: the process that started offsite went away');
  return new InterruptedError();
}

const closed = { stdout: false, stderr: false };

/** False once the stream has failed with EPIPE/EIO: presenters stop writing to it. */
export function outputOpen(stream: 'stdout' | 'stderr'): boolean {
  return !closed[stream];
}

/** Writes one line to stderr unless it has gone away. */
export function noteToStderr(line: string): void {
  if (!closed.stderr) process.stderr.write(`${line}\n`);
}

const listeners = new Set<(cause: InterruptCause) => void>();
let installed = false;

/**
 * Installs the process-wide listeners once (output errors never crash the process, even outside a run).
 * Called by each binary's main before anything is written.
 */
export function installOutputGuard(): void {
  if (installed) return;
  installed = true;
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (error: NodeJS.ErrnoException) => {
      if (closed[name]) return;
      closed[name] = true;
      if (error.code !== 'EPIPE' && error.code !== 'EIO' && error.code !== 'ERR_STREAM_DESTROYED') return;
      for (const listener of [...listeners]) listener({ kind: 'output-closed', stream: name });
    });
  }
}

/** Per signal: seen directly (only observable while a run watches), relayed by the launcher, and handled. */
const direct = new Map<HandledSignal, number>();
const relayed = new Map<HandledSignal, number>();
const handled = new Map<HandledSignal, number>();
const count = (map: Map<HandledSignal, number>, signal: HandledSignal): number => map.get(signal) ?? 0;
/** A signal that reached both the launcher and us is one press: the larger of the two counts. */
const presses = (signal: HandledSignal): number => Math.max(count(direct, signal), count(relayed, signal));

const signalWatchers = new Set<(signal: HandledSignal) => void>();

/**
 * Calls `onPress` once per press until the returned function is called. While subscribed, signals do not
 * kill the process; the caller decides what a press means.
 */
export function watchInterrupts(onPress: (cause: InterruptCause) => void): () => void {
  installOutputGuard();
  const reconcile = (signal: HandledSignal): void => {
    while (count(handled, signal) < presses(signal)) {
      handled.set(signal, count(handled, signal) + 1);
      onPress({ kind: 'signal', signal });
    }
  };
  const onSignal = (signal: HandledSignal): void => {
    direct.set(signal, count(direct, signal) + 1);
    reconcile(signal);
  };
  let orphaned = false;
  const other = (cause: InterruptCause): void => {
    if (cause.kind === 'parent-gone') {
      if (orphaned) return;
      orphaned = true;
    }
    onPress(cause);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  signalWatchers.add(reconcile);
  listeners.add(other);
  const stopWatchingParent = watchParent(() => other({ kind: 'parent-gone' }));
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    signalWatchers.delete(reconcile);
    listeners.delete(other);
    stopWatchingParent();
  };
}

let relayInstalled = false;

/**
 * Listens for signals relayed by bin/launch.js (present only when it had to start us as its child). With no run
 * watching, a relayed signal we have not already seen does what the signal itself would have done: it is raised
 * on this process.
 */
export function installSignalRelay(): void {
  if (relayInstalled || typeof process.send !== 'function') return;
  relayInstalled = true;
  process.on('message', (message: unknown) => {
    if (!isRelayedSignal(message)) return;
    const signal = message.offsiteSignal;
    relayed.set(signal, Math.max(count(relayed, signal), message.count));
    if (signalWatchers.size > 0) {
      for (const reconcile of [...signalWatchers]) reconcile(signal);
    } else if (count(handled, signal) < presses(signal)) {
      handled.set(signal, presses(signal));
      process.kill(process.pid, signal);
    }
  });
  // The channel must not keep the process alive once the work is done.
  process.channel?.unref();
}

function isRelayedSignal(message: unknown): message is RelayedSignal {
  const m = message as Partial<RelayedSignal> | null;
  return typeof m === 'object' && m !== null && SIGNALS.includes(m.offsiteSignal as HandledSignal) && typeof m.count === 'number';
}

/**
 * Notices being orphaned by the process that started us when its death means "stop": the launcher (its IPC
 * channel closes) or npm/npx (which may die of a signal without passing it on). A backup started with nohup or
 * `&` from a shell that then exits is left alone: that shell's death means nothing.
 */
function watchParent(onGone: () => void): () => void {
  if (typeof process.send === 'function') {
    process.once('disconnect', onGone);
    return () => process.off('disconnect', onGone);
  }
  const parent = process.ppid;
  if (!process.env.npm_command || parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, 1_000);
  timer.unref();
  return () => clearInterval(timer);
}
