import { homedir } from 'node:os';
import { UsageError } from '../errors.js';
import { splitShellWords } from '../util/words.js';
import type { SshOptions } from './types.js';

/**
 * OpenSSH client flags, as the seed's EC2_BACKUP_FLAGS_SSH carries them. We honour the few that change where and
 * how we connect, accept the ones that cannot matter to us, and refuse the rest rather than silently ignore them.
 */

/** Single-letter flags that take no argument and do not change what offsite does. */
const IGNORED_FLAGS = new Set(['4', '6', 'q', 'v', 'C', 'T', 't', 'A', 'a', 'x']);

/** Flags we honour; each takes an argument. */
const FLAGS_WITH_ARGUMENT = new Set(['i', 'p', 'l', 'o']);

/** OpenSSH flags that take an argument but that offsite does not implement (named so the error says so). */
const UNSUPPORTED_FLAGS_WITH_ARGUMENT = new Set([...'bBcDeEFIJLmOPQRSwW']);

/** `-o` keys that cannot change what offsite does (lower case). */
const IGNORED_CONFIG_KEYS = new Set([
  'serveraliveinterval',
  'serveralivecountmax',
  'passwordauthentication',
  'kbdinteractiveauthentication',
  'challengeresponseauthentication',
  'batchmode',
  'loglevel',
  'identitiesonly',
  'tcpkeepalive',
  'compression',
  'checkhostip',
  'hashknownhosts',
  'forwardagent',
  'forwardx11',
  'pubkeyauthentication',
  'preferredauthentications',
  'numberofpasswordprompts',
  'updatehostkeys',
  'visualhostkey',
  'requesttty',
  'controlmaster',
  'controlpath',
  'controlpersist',
]);

export interface ParseSshFlagsContext {
  /** Where `~` points; defaults to the current user's home directory. */
  homeDir?: string;
}

/** Parses OpenSSH client flags (a shell-quoted string) into the options offsite honours. Throws UsageError. */
export function parseSshFlags(
  text: string,
  envName = 'EC2_BACKUP_FLAGS_SSH',
  context: ParseSshFlagsContext = {},
): SshOptions {
  const fail = (detail: string): never => {
    // Echoed input may span lines; the message must stay one line.
    throw new UsageError(`${envName}: ${detail.replace(/[\r\n]+/g, ' ')}`);
  };
  const home = context.homeDir ?? homedir();
  let words: string[];
  try {
    words = splitShellWords(text);
  } catch (error) {
    return fail((error as Error).message);
  }

  const options: SshOptions = { identityFiles: [], userKnownHostsFiles: [] };
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? '';
    if (!word.startsWith('-') || word === '-' || word === '--') {
      fail(`unexpected argument '${word}' (only ssh options are accepted here)`);
    }
    // getopt style: flags may be bundled (-4q), and the first flag that takes an argument consumes the rest of the
    // word or, when nothing is left, the next word.
    for (let at = 1; at < word.length; at++) {
      const flag = word[at] ?? '';
      if (IGNORED_FLAGS.has(flag)) continue;
      if (!FLAGS_WITH_ARGUMENT.has(flag)) {
        fail(UNSUPPORTED_FLAGS_WITH_ARGUMENT.has(flag) ? `unsupported option -${flag}` : `unknown option -${flag}`);
      }
      let argument = word.slice(at + 1);
      if (argument === '') {
        index++;
        if (index >= words.length) fail(`missing argument for -${flag}`);
        argument = words[index] ?? '';
      }
      applyFlag(options, flag, argument, home, fail);
      break;
    }
  }
  return options;
}

function applyFlag(options: SshOptions, flag: string, argument: string, home: string, fail: (d: string) => never): void {
  switch (flag) {
    case 'i':
      if (argument === '') fail('empty argument for -i');
      options.identityFiles.push(expandTilde(argument, home));
      return;
    case 'p':
      options.port = parsePort(argument, '-p', fail);
      return;
    case 'l':
      if (argument === '') fail('empty argument for -l');
      options.user = argument;
      return;
    case 'o':
      applyConfigOption(options, argument, home, fail);
      return;
  }
}

/** `-o Key=Value`, `-o "Key Value"` or `-o "Key = Value"`, keys case-insensitive, like ssh_config. */
function applyConfigOption(options: SshOptions, argument: string, home: string, fail: (d: string) => never): void {
  const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*)$/s.exec(argument);
  if (!match) return fail(`bad -o argument '${argument}' (expected Key=Value)`);
  const key = match[1] ?? '';
  const rawValue = (match[2] ?? '').trim();
  const lowerKey = key.toLowerCase();
  if (IGNORED_CONFIG_KEYS.has(lowerKey)) return;

  const known = ['hostname', 'port', 'user', 'identityfile', 'userknownhostsfile', 'stricthostkeychecking', 'connecttimeout'];
  if (!known.includes(lowerKey)) return fail(`unsupported option -o ${key}`);
  if (rawValue === '') return fail(`missing value for -o ${key}`);

  // ssh_config values may themselves be quoted; UserKnownHostsFile takes several, the rest exactly one.
  let values: string[];
  try {
    values = splitShellWords(rawValue);
  } catch (error) {
    return fail(`-o ${key}: ${(error as Error).message}`);
  }
  if (lowerKey === 'userknownhostsfile') {
    // `none` means "no file" in OpenSSH; /dev/null is the same thing and keeps the list non-empty.
    options.userKnownHostsFiles = values.map((v) => (v === 'none' ? '/dev/null' : expandTilde(v, home)));
    return;
  }
  if (values.length !== 1) return fail(`-o ${key} takes one value, got '${rawValue}'`);
  const value = values[0] ?? '';

  switch (lowerKey) {
    case 'hostname':
      options.hostName = value;
      return;
    case 'port':
      options.port = parsePort(value, `-o ${key}`, fail);
      return;
    case 'user':
      options.user = value;
      return;
    case 'identityfile':
      if (value.toLowerCase() !== 'none') options.identityFiles.push(expandTilde(value, home));
      return;
    case 'stricthostkeychecking':
      options.strictHostKeyChecking = parseStrictHostKeyChecking(value, key, fail);
      return;
    case 'connecttimeout': {
      const seconds = parseTimeSeconds(value);
      if (seconds === undefined) return fail(`bad time value '${value}' for -o ${key}`);
      // OpenSSH treats 0 as "no timeout of our own", i.e. not given.
      if (seconds === 0) delete options.connectTimeoutSeconds;
      else options.connectTimeoutSeconds = seconds;
      return;
    }
  }
}

function parsePort(text: string, what: string, fail: (d: string) => never): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(`bad port '${text}' for ${what}`);
  return port;
}

function parseStrictHostKeyChecking(
  value: string,
  key: string,
  fail: (d: string) => never,
): NonNullable<SshOptions['strictHostKeyChecking']> {
  switch (value.toLowerCase()) {
    case 'yes':
    case 'true':
      return 'yes';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    case 'ask':
      return 'ask';
    default:
      return fail(`bad value '${value}' for -o ${key} (yes, no, accept-new or ask)`);
  }
}

/** OpenSSH time format: `30`, `30s`, `1m30s`, `2h`; returns seconds. */
function parseTimeSeconds(text: string): number | undefined {
  if (!/^(\d+[smhdw]?)+$/i.test(text)) return undefined;
  const unit: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const [, amount, suffix] of text.matchAll(/(\d+)([smhdw]?)/gi)) {
    total += Number(amount) * (unit[(suffix ?? '').toLowerCase()] ?? 1);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** `~` and `~/x` name the home directory, as ssh expands them in file options itself. */
function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home}/${path.slice(2)}`;
  return path;
}

/**
 * Combines two option sets, `override` winning: single values from `override` replace those of `base`; identity
 * files are tried override's first, then base's; known_hosts files from `override` replace base's when given.
 */
export function mergeSshOptions(base: SshOptions, override: SshOptions): SshOptions {
  const merged: SshOptions = {
    identityFiles: [...new Set([...override.identityFiles, ...base.identityFiles])],
    userKnownHostsFiles: [
      ...(override.userKnownHostsFiles.length > 0 ? override.userKnownHostsFiles : base.userKnownHostsFiles),
    ],
  };
  const hostName = override.hostName ?? base.hostName;
  const port = override.port ?? base.port;
  const user = override.user ?? base.user;
  const strict = override.strictHostKeyChecking ?? base.strictHostKeyChecking;
  const timeout = override.connectTimeoutSeconds ?? base.connectTimeoutSeconds;
  if (hostName !== undefined) merged.hostName = hostName;
  if (port !== undefined) merged.port = port;
  if (user !== undefined) merged.user = user;
  if (strict !== undefined) merged.strictHostKeyChecking = strict;
  if (timeout !== undefined) merged.connectTimeoutSeconds = timeout;
  return merged;
}
