import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { COMMANDS } from './command-catalog.js';
import { wrapHelpToTerminal } from './help-text.js';
import { runProgram } from './run-program.js';
import { topLevelProgram } from './top-level.js';

/** Enough of the program to answer `offsite --help` and `--version`: each command as the catalog lists it. */
export function catalogProgram(): Command {
  const program = topLevelProgram();
  for (const [name, { args, description }] of Object.entries(COMMANDS)) {
    const command = program.command(name).description(description);
    for (const arg of args) command.argument(arg);
  }
  wrapHelpToTerminal(program);
  return program;
}

/** The forms that need no command's module: the top-level help (and commander's `help` alone) and the version. */
const CATALOG_ANSWERS = new Set(['--help', '-h', 'help', '--version', '-V']);

export async function main(argv: string[]): Promise<number> {
  const sandbox = sandboxFlagAt(argv);
  if (sandbox !== -1) {
    const { runInSandbox } = await import('./sandbox.js');
    return runInSandbox((chosen) => main(chosen), argv.toSpliced(sandbox, 1));
  }
  if (argv.length === 0) {
    if (process.stdin.isTTY && process.stdout.isTTY && !process.env.CI) {
      const { runWizard } = await import('./wizard.js');
      return runWizard((chosen) => main(chosen));
    }
    process.stderr.write('offsite: no command given (run it in a terminal for the wizard, or see offsite --help)\n');
    return ExitCode.usage;
  }
  const program = argv.length === 1 && CATALOG_ANSWERS.has(argv[0]!) ? catalogProgram() : (await import('./program.js')).buildProgram();
  return runProgram(program, helpFor(argv), 'offsite');
}

/** Where --sandbox is (anywhere before a `--`), or -1: it changes where the whole run happens, not one command. */
function sandboxFlagAt(argv: string[]): number {
  const end = argv.indexOf('--');
  const at = argv.indexOf('--sandbox');
  return end !== -1 && at > end ? -1 : at;
}

/** `offsite help export create-job` as `offsite export create-job --help` (commander's help command takes one name). */
function helpFor(argv: string[]): string[] {
  return argv[0] === 'help' && argv.length > 2 ? [...argv.slice(1), '--help'] : argv;
}
