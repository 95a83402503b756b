import type { Command } from 'commander';
import { registerArchiveCommand } from './commands/archive.js';
import { registerCleanupCommand } from './commands/cleanup.js';
import { registerEbsCommand } from './commands/ebs.js';
import { registerExportCommand } from './commands/export.js';
import { registerRestoreCommand } from './commands/restore.js';
import { registerS3Command } from './commands/s3.js';
import { registerVerifyCommand } from './commands/verify.js';
import { wrapHelpToTerminal } from './help-text.js';
import { topLevelProgram } from './top-level.js';

/** offsite with every command: what runs a command, and what the docs, man pages and their checks read. */
export function buildProgram(): Command {
  const program = topLevelProgram();
  registerEbsCommand(program);
  registerArchiveCommand(program);
  registerS3Command(program);
  registerExportCommand(program);
  registerVerifyCommand(program);
  registerCleanupCommand(program);
  registerRestoreCommand(program);
  wrapHelpToTerminal(program);
  return program;
}
