import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { InterruptedError, OffsiteError, describeError, exitCodeOf } from '../errors.js';
import type { ResourceKind } from './events.js';

/** Something a run created, could not release, and that someone must now remove. */
export interface Leftover {
  kind: ResourceKind;
  id: string;
  region?: string;
}

/** The one command that removes what a run left behind. */
export function cleanupCommand(runId: string): string {
  return `offsite cleanup --run ${runId} --yes`;
}

export function describeLeftovers(leftovers: Leftover[]): string {
  return leftovers.map((l) => `${l.kind} ${l.id}${l.region ? ` (${l.region})` : ''}`).join(', ');
}

/**
 * Which exit code a run that left resources behind ends with. An interrupt (130) and bad input (2) say more
 * about what happened and win; otherwise the leak wins over a plain failure (1) or differences (3), because a
 * billable leftover is what the operator must act on first.
 */
export function leftBehindExitCode(cause: unknown): ExitCodeValue {
  if (cause === undefined) return ExitCode.leftBehind;
  const code = exitCodeOf(cause);
  return code === ExitCode.interrupted || code === ExitCode.usage ? code : ExitCode.leftBehind;
}

/**
 * The run ended (well or badly) and its clean-up left resources behind. It carries what is left, how to remove
 * it, the failure that came first (if any) and the run's result (if it finished), so the result can still be shown.
 */
export class LeftBehindError extends OffsiteError {
  constructor(
    readonly leftBehind: Leftover[],
    readonly runId: string,
    readonly failure?: unknown,
    readonly result?: object,
    exitCode: ExitCodeValue = leftBehindExitCode(failure),
  ) {
    super(
      `${failure !== undefined ? `${describeError(failure)}; ` : ''}left behind: ${describeLeftovers(leftBehind)}; remove with: ${cleanupCommand(runId)}`,
      exitCode,
    );
    this.name = 'LeftBehindError';
  }

  /** The same report when the run was stopped from outside (interrupt, closed output): its exit code, the leftovers still listed. */
  stoppedBy(reason: OffsiteError): LeftBehindError {
    return new LeftBehindError(this.leftBehind, this.runId, this.failure ?? reason, this.result, reason.exitCode);
  }
}

/** The fields an `error` event adds for a run that left something behind (nothing otherwise). */
export function leftBehindFields(error: unknown): { leftBehind?: Leftover[]; cleanup?: string } {
  if (!(error instanceof LeftBehindError)) return {};
  return { leftBehind: error.leftBehind, cleanup: cleanupCommand(error.runId) };
}

/** What a run stopped from outside reports: its leftovers if it has any, otherwise just why it stopped. */
export function asStopped(error: unknown, reason: unknown = new InterruptedError()): OffsiteError {
  const why = reason instanceof OffsiteError ? reason : new InterruptedError();
  return error instanceof LeftBehindError ? error.stoppedBy(why) : why;
}
