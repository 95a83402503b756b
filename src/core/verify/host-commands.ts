import { readFile } from 'node:fs/promises';
import { runCommand, type CommandOutput } from '../host/command.js';

/**
 * The commands that open a disk on this machine (losetup, blkid, sgdisk, mount, cryptsetup) go through here,
 * so the TrueCrypt path — which cannot run on a kernel without device-mapper — is proved by its command plan.
 * `stdin` carries secrets (a TrueCrypt password) so that they never appear in an argument list.
 */
export interface HostCommands {
  run(argv: readonly string[], options?: { stdin?: string; signal?: AbortSignal }): Promise<CommandOutput>;
  readText(path: string): Promise<string | undefined>;
}

export function realHostCommands(): HostCommands {
  return {
    run: (argv, options = {}) => runCommand(argv, options),
    readText: (path) => readFile(path, 'utf8').catch(() => undefined),
  };
}
