import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { catalogProgram } from './offsite.js';
import { buildProgram } from './program.js';

/** What `offsite <argv>` prints, help text included (commander writes it through configureOutput). */
async function printed(program: Command, argv: string[]): Promise<string> {
  let out = '';
  program.configureOutput({ ...program.configureOutput(), writeOut: (text) => void (out += text), writeErr: (text) => void (out += text) });
  await program.parseAsync(argv, { from: 'user' }).catch(() => undefined);
  return out;
}

describe('offsite --help from the command catalog', () => {
  it('prints what the full program prints, for --help, help alone and --version', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['--version']]) {
      const expected = await printed(buildProgram(), argv);
      expect(expected).toMatch(argv[0] === '--version' ? /^\d+\.\d+/ : /Commands:\n {2}ebs <dir> /);
      expect(await printed(catalogProgram(), argv), argv.join(' ')).toBe(expected);
    }
  });
});
