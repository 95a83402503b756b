import { createElement } from 'react';
import { ExitCode } from '../exit-codes.js';
import type { WizardOutcome } from '../wizard/app.js';

/**
 * `offsite` with no arguments on a terminal: the Ink wizard builds a command line, unmounts, and then that exact
 * command runs (with the live task list), so the wizard and a script can never drift apart.
 */
export async function runWizard(runCommand: (argv: string[]) => Promise<number>): Promise<number> {
  const [{ render }, { WizardApp }, { defaultServices }] = await Promise.all([import('ink'), import('../wizard/app.js'), import('../wizard/services.js')]);
  const chosen: { outcome: WizardOutcome } = { outcome: { quit: true } };
  const app = render(createElement(WizardApp, { services: defaultServices(), onDone: (o) => (chosen.outcome = o) }), { exitOnCtrlC: false });
  await app.waitUntilExit();
  const { outcome } = chosen;
  if ('quit' in outcome) {
    process.stderr.write('offsite: nothing done\n');
    return ExitCode.interrupted;
  }
  return runCommand(outcome.argv);
}
