import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OffsiteError, UsageError } from '../../errors.js';
import { splitWords } from '../../util/words.js';
import type { EncryptionPlan } from './plan.js';
import { findExecutable, runForStatus } from '../host/command.js';
import { escapeName } from '../../util/escape-name.js';

const INPUT = '${input}';
const OUTPUT = '${output}';

/**
 * Cedar's `encrypt` template, split into argv once, like a shell splits words (quotes honoured) but never run by a
 * shell: the paths substituted later are whole arguments or parts of one, so spaces, quotes and `$` in them are safe.
 */
export async function parseEncryptTemplate(template: string, source: string): Promise<EncryptionPlan & { kind: 'command' }> {
  const argv = splitWords(template, source);
  if (argv.length === 0) throw new UsageError(`${source}: the encrypt command is empty`);
  if (!argv.some((word) => word.includes(INPUT)) || !argv.some((word) => word.includes(OUTPUT))) {
    throw new UsageError(`${source}: the encrypt command must contain both \${input} and \${output}`);
  }
  if (argv[0]!.includes('${')) throw new UsageError(`${source}: the encrypt command must start with a program, not a placeholder`);
  if (!(await findExecutable(argv[0]!))) throw new UsageError(`${source}: encrypt command not found or not executable: ${argv[0]}`);
  return { kind: 'command', template, argv };
}

/** The built-in: checks the passphrase file and finds gpg, locally, before anything else happens. */
export async function gpgEncryption(passphraseFile: string | undefined, source: string): Promise<EncryptionPlan & { kind: 'gpg' }> {
  if (!passphraseFile) throw new UsageError(`${source}: gpg encryption needs a passphrase file (the passphrase is never taken on the command line)`, { remedy: 'passphraseFile' });
  let info;
  try {
    await access(passphraseFile, constants.R_OK);
    info = await stat(passphraseFile);
  } catch {
    throw new UsageError(`cannot read ${passphraseFile}`, { input: 'passphraseFile' });
  }
  if (!info.isFile() || info.size === 0) throw new UsageError(`${passphraseFile} is not a file with a passphrase in it`, { input: 'passphraseFile' });
  const gpgPath = await findExecutable('gpg');
  if (!gpgPath) throw new UsageError(`${source}: gpg is not installed (Debian: apt-get install gnupg)`);
  return { kind: 'gpg', passphraseFile, gpgPath };
}

/** A passphrase file that others can read is worth a warning, not a refusal (Cedar never checked). */
export async function passphraseWarning(plan: EncryptionPlan): Promise<string | undefined> {
  if (plan.kind !== 'gpg') return undefined;
  const info = await stat(plan.passphraseFile);
  return info.mode & 0o077 ? `${plan.passphraseFile} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it` : undefined;
}

/** Substitutes the placeholders inside each argument, in one pass, so a path containing "${output}" stays as it is. */
export function substitute(argv: string[], input: string, output: string): string[] {
  return argv.map((word) => word.replace(/\$\{(input|output)\}/g, (_match, name: string) => (name === 'input' ? input : output)));
}

export function gpgArguments(plan: EncryptionPlan & { kind: 'gpg' }, gnupgHome: string, input: string, output: string): string[] {
  return [
    plan.gpgPath,
    '--homedir', gnupgHome,
    '--batch', '--yes', '--no-tty', '--quiet',
    '--pinentry-mode', 'loopback',
    '--passphrase-file', plan.passphraseFile,
    '--symmetric', '--cipher-algo', 'AES256',
    '--output', output,
    input,
  ];
}

/**
 * Encrypts one file into `output` (its directory is created, private). With a template, an empty file is copied
 * empty, as Cedar did (many commands fail on empty input); the built-in encrypts it like any other.
 */
export async function encryptFile(
  plan: EncryptionPlan,
  file: { path: string; size: number; rel: string },
  output: string,
  gnupgHome: string,
  signal?: AbortSignal,
): Promise<void> {
  await mkdir(dirname(output), { recursive: true, mode: 0o700 });
  if (plan.kind === 'none') throw new Error('encryptFile called without encryption');
  if (plan.kind === 'command' && file.size === 0) {
    await writeFile(output, '', { mode: 0o600 });
    return;
  }
  const argv = plan.kind === 'gpg' ? gpgArguments(plan, gnupgHome, file.path, output) : substitute(plan.argv, file.path, output);
  let outcome;
  try {
    outcome = await runForStatus(argv, signal);
  } catch (error) {
    if (error instanceof OffsiteError) throw error;
    throw new OffsiteError(`Error running ${argv[0]} to encrypt [${escapeName(file.path)}]: ${(error as Error).message}`);
  }
  if (outcome.code !== 0) {
    throw new OffsiteError(`Error [${outcome.code}] encrypting [${escapeName(file.path)}].${outcome.lastError ? ` ${outcome.lastError}` : ''}`);
  }
  try {
    await access(output, constants.R_OK);
  } catch {
    throw new OffsiteError(`the encrypt command exited 0 but wrote nothing to \${output} for [${escapeName(file.path)}]`);
  }
}

/** gpg starts an agent in its home directory; stop it before the directory goes, so nothing is left running. */
export async function stopGpgAgent(plan: EncryptionPlan, gnupgHome: string): Promise<void> {
  if (plan.kind !== 'gpg') return;
  const gpgconf = (await findExecutable(join(dirname(plan.gpgPath), 'gpgconf'))) ?? (await findExecutable('gpgconf'));
  if (!gpgconf) return;
  await runForStatus([gpgconf, '--homedir', gnupgHome, '--kill', 'gpg-agent']).catch(() => undefined);
}
