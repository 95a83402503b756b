import type { Command } from 'commander';
import { Option } from 'commander';
import { helpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import type { ArchiveCommandInput, ArchiveRun } from '../plans/archive.js';
import { COMMANDS } from '../command-catalog.js';

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
    .action(async (file: string, flags: ArchiveCommandInput & SharedFlags) => {
      process.exitCode = await archiveAction(file, flags);
    });
}

async function archiveAction(file: string, flags: ArchiveCommandInput): Promise<number> {
  let run: ArchiveRun;
  try {
    const { buildArchiveRun } = await import('../plans/archive.js');
    run = await buildArchiveRun(file, flags);
  } catch (error) {
    return reportEarlyFailure(error, { json: flags.json, program: 'offsite' });
  }
  const { executeArchive } = await import('../archive-run.js'); // the archive steps load only when work starts
  return executeArchive(run);
}
