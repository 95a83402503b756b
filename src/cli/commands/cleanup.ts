import type { Command } from 'commander';
import { helpExtras } from '../help-text.js';
import { ExitCode } from '../../exit-codes.js';
import type { CleanupResult } from '../../core/cleanup/item.js';
import { choosePresenter } from '../output-mode.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { cleanupResultLines } from '../../ui/cleanup-result.js';
import { buildCleanupPlan, type CleanupCommandInput } from '../plans/cleanup.js';
import { offsiteWording } from './flag-advice.js';
import { COMMANDS } from '../command-catalog.js';

type CleanupFlags = CleanupCommandInput & SharedFlags;

/** `offsite cleanup`: list (and with --yes remove) what earlier runs left behind. */
export function registerCleanupCommand(program: Command): void {
  program
    .command('cleanup')
    .description(COMMANDS.cleanup.description)
    .option('--run <run-id>', 'only what this run left (the id every "left behind" message names)')
    .option('--older-than <duration>', 'only what is at least this old: 30m, 2h, 7d, 1w')
    .addOption(sharedFlag('region', 'where to look'))
    .addOption(sharedFlag('profile'))
    .option('-y, --yes', 'remove what is removable (default: only list)')
    .addOption(sharedFlag('json'))
    .addOption(sharedFlag('quiet'))
    .addOption(sharedFlag('verbose'))
    .addHelpText(
      'after',
      helpExtras({
        environment: ['AWS_PROFILE', 'AWS_REGION', 'AWS_ENDPOINT_URL', 'OFFSITE_STATE_DIR'],
        exitCodes: {
          0: 'nothing is left behind (or --yes removed all of it)',
          1: 'the look-up failed (AWS unreachable, …)',
          4: 'something is left behind (listing), or --yes could not remove all of it',
        },
        examples: ['offsite cleanup', 'offsite cleanup --run 20261201-220315-a1b2c3 --yes', 'offsite cleanup --older-than 2h --json'],
        notes:
          'Never removes a volume that holds a completed backup or one you named with -v (at most its stale lock), nor anything of a run that is still running. Each item says why it is or is not removable. More: docs/cleanup.md',
      }),
    )
    .action(async (flags: CleanupFlags) => {
      process.exitCode = await cleanupAction(flags);
    });
}

async function cleanupAction(flags: CleanupFlags): Promise<number> {
  let plan;
  try {
    plan = buildCleanupPlan(flags);
  } catch (error) {
    return reportEarlyFailure(error, { json: flags.json, program: 'offsite' });
  }
  const [{ executeCleanup }, { cleanupPhases }] = await Promise.all([import('../cleanup-run.js'), import('../../core/cleanup/phases.js')]); // the AWS SDK loads only when work starts
  const presenter = await choosePresenter(flags, 'offsite', cleanupPhases());
  const json = presenter.json;
  let result: CleanupResult | undefined;
  const code = await executeCleanup({
    plan,
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    sink: presenter.sink,
    onResult: (value) => (result = value),
    onInterruptNotice: (message) => presenter.notice(message),
  });
  await presenter.close();
  if (!result) return code;
  if (!json) presenter.result(cleanupResultLines(result, flags, offsiteWording));
  return result.left > 0 ? ExitCode.leftBehind : ExitCode.ok;
}
