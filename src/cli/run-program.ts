import { CommanderError, type Command } from 'commander';
import { describeError } from '../errors.js';
import { offsiteWording } from './commands/flag-advice.js';
import { ExitCode } from '../exit-codes.js';
import { commandRedaction } from './redaction.js';

/**
 * Parses and runs a commander program and turns the outcome into the exit-code table: help and version are 0,
 * commander's own usage errors (already printed as one line) are 2, anything unexpected is one line and 1.
 */
export async function runProgram(program: Command, argv: string[], face: string): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return ExitCode.ok;
      return ExitCode.usage;
    }
    process.stderr.write(`${face}: ${commandRedaction().text(describeError(error, offsiteWording))}\n`);
    return ExitCode.failed;
  }
}

/**
 * Commander's own error (an unknown option, a value it refused) as one line after the face's name, masked like
 * every other output: it quotes what was typed, and a secret can be typed into the wrong place.
 */
export function commanderError(face: string, after = ''): (text: string, write: (line: string) => void) => void {
  return (text, write) => write(`${face}: ${commandRedaction().text(text.replace(/^error: /, '').trim().split('\n')[0] ?? '')}${after}\n`);
}
