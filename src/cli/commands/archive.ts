import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { choosePresenter } from '../output-mode.js';
import { helpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import type { ArchiveResult } from '../../core/archive/plan.js';
import { archiveResultLines } from '../../ui/archive-result.js';
import { writeResult } from '../write-result.js';
import { COMMANDS } from '../command-catalog.js';

interface ArchiveFlags extends SharedFlags {
  log?: string;
  noop?: boolean;
  dryRun?: boolean;
}

/** The original's -l levels mapped onto offsite's output levels (INFO shows every command, as it did). */
const LOG_LEVELS: Record<string, 'verbose' | 'normal' | 'quiet'> = {
  DEBUG: 'verbose',
  INFO: 'verbose',
  WARNING: 'normal',
  ERROR: 'quiet',
  CRITICAL: 'quiet',
};

/** `offsite archive <profile.ini>`: snapshot a live filesystem and add a dar archive to the month's chain. */
export function registerArchiveCommand(program: Command): void {
  program
    .command('archive')
    .description(COMMANDS.archive.description)
    .argument('<profile.ini>', 'the backup profile ([backup], [lvm] or [btrfs], [bindmounts], [rsync], [dar])')
    .option('-l, --log <level>', 'DEBUG, INFO (every command), WARNING (default), ERROR or CRITICAL')
    .option('-n, --noop', 'print every command that would run, in order, and change nothing')
    .addOption(new Option('--dry-run', 'the same as --noop'))
    .addOption(sharedFlag('json'))
    .addOption(sharedFlag('quiet'))
    .addOption(sharedFlag('verbose', 'and every command'))
    .addOption(sharedFlag('nonInteractive', 'archive never prompts'))
    .addHelpText(
      'after',
      helpExtras({
        environment: ['OFFSITE_STATE_DIR', 'TMPDIR', 'OFFSITE_DEBUG'],
        exitCodes: { 4: 'the teardown left a snapshot or mount behind; offsite cleanup removes it' },
        examples: [
          'offsite archive --noop fixtures/profiles/host-precise.ini',
          'offsite archive -l INFO /etc/offsite/host.ini',
          'offsite archive --json fixtures/profiles/btrfs-home.ini',
        ],
        notes: 'Run it as root (snapshots, mounts). Prints "Full backup: NAME" or "Incremental backup: NAME" on stdout. More: docs/archive.md',
      }),
    )
    .action(async (file: string, flags: ArchiveFlags) => {
      process.exitCode = await archiveAction(file, flags);
    });
}

async function archiveAction(file: string, flags: ArchiveFlags): Promise<number> {
  const level = flags.log === undefined ? undefined : LOG_LEVELS[flags.log.toUpperCase()];
  const output = { json: flags.json, quiet: flags.quiet || (!flags.verbose && level === 'quiet'), verbose: flags.verbose || (!flags.quiet && level === 'verbose') };
  const json = Boolean(flags.json);
  const noop = Boolean(flags.noop || flags.dryRun);
  let profile;
  try {
    if (flags.log !== undefined && !level) throw new UsageError(`--log: unknown level '${flags.log}' (DEBUG, INFO, WARNING, ERROR, CRITICAL)`);
    const { readProfile } = await import('../../core/archive/read-profile.js');
    profile = await readProfile(file);
  } catch (error) {
    return reportEarlyFailure(error, { json, program: 'offsite' });
  }

  const [{ runWork }, { runArchive }, { realRunner }, { RunLedger, newRunId, stateDir }, { tmpdir }, { archivePhases }] = await Promise.all([
    import('../run.js'),
    import('../../core/archive/archive.js'),
    import('../../core/archive/runner.js'),
    import('../../core/ledger/ledger.js'),
    import('node:os'),
    import('../../core/archive/phases.js'),
  ]);
  // --noop runs no steps: the commands it lists are its output.
  const presenter = await choosePresenter(output, 'offsite', noop ? undefined : archivePhases(profile));
  let finished: ArchiveResult | undefined;
  const code = await runWork({
    sink: presenter.sink,
    work: async (control) => {
      const runId = newRunId();
      const ledger = noop ? undefined : await RunLedger.open(runId);
      const deps = { runner: realRunner(), runId, stateDir: stateDir(), tmpDir: tmpdir(), now: () => new Date(), ...(ledger ? { ledger } : {}) };
      const result = await runArchive({ profile, noop }, deps, control);
      control.emit({ type: 'result', result: { ...result } });
      return result;
    },
    onResult: (result) => (finished = result),
    onInterruptNotice: (message) => presenter.notice(message),
  });
  await presenter.close();
  if (finished && !json) writeResult(archiveResultLines(finished, { quiet: flags.quiet || level === 'quiet' }));
  return code;
}
