import { UsageError } from '../../errors.js';
import type { ArchivePlan } from '../../core/archive/plan.js';
import { readProfile } from '../../core/archive/read-profile.js';
import type { OutputFlags } from '../output-mode.js';

/** The command line as commander parsed it. */
export interface ArchiveCommandInput extends OutputFlags {
  log?: string;
  noop?: boolean;
  dryRun?: boolean;
}

/** The plan, and how much to show: the original's -l level folded into offsite's output flags. */
export interface ArchiveRun {
  plan: ArchivePlan;
  output: OutputFlags;
  /** The result without its notes (--quiet, or -l ERROR/CRITICAL). */
  quietResult: boolean;
}

/** The original's -l levels mapped onto offsite's output levels (INFO shows every command, as it did). */
const LOG_LEVELS: Record<string, 'verbose' | 'normal' | 'quiet'> = {
  DEBUG: 'verbose',
  INFO: 'verbose',
  WARNING: 'normal',
  ERROR: 'quiet',
  CRITICAL: 'quiet',
};

/** Reads and checks the profile and the flags; no command runs yet. */
export async function buildArchiveRun(file: string, input: ArchiveCommandInput): Promise<ArchiveRun> {
  const level = input.log === undefined ? undefined : LOG_LEVELS[input.log.toUpperCase()];
  if (input.log !== undefined && !level) throw new UsageError(`--log: unknown level '${input.log}' (DEBUG, INFO, WARNING, ERROR, CRITICAL)`);
  const profile = await readProfile(file);
  return {
    plan: { profile, noop: Boolean(input.noop || input.dryRun) },
    output: { json: input.json, quiet: input.quiet || (!input.verbose && level === 'quiet'), verbose: input.verbose || (!input.quiet && level === 'verbose') },
    quietResult: Boolean(input.quiet || level === 'quiet'),
  };
}
