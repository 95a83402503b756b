/** The three binaries' commander definitions, as the docs, man pages and the docs check see them. */
import type { Command } from 'commander';
import { buildEc2BackupProgram } from '../../src/cli/ec2-backup.js';
import { buildProgram } from '../../src/cli/program.js';
import { buildS3exportProgram } from '../../src/cli/s3export.js';

export function programs(): Command[] {
  return [buildProgram(), buildEc2BackupProgram(), buildS3exportProgram()];
}
