/**
 * The parts of every `--help` that are the same across commands — environment variables, exit codes, examples —
 * written once here, and laid out with commander's own item formatting so they wrap to the terminal like the
 * flags above them. Kept free of heavy imports: `ec2-backup -h` loads it and must answer at once.
 */
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';

/** What each variable means, wherever it applies; a command names the ones it reads. */
const ENVIRONMENT: Record<string, string> = {
  AWS_PROFILE: 'the AWS profile (credentials and region), as --profile',
  AWS_REGION: 'the AWS region, as --region (then AWS_DEFAULT_REGION, then the profile)',
  AWS_DEFAULT_REGION: 'the region when AWS_REGION is not set',
  AWS_ACCESS_KEY_ID: 'with AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN): credentials, else the default chain',
  AWS_ENDPOINT_URL: 'another endpoint for every AWS service (the sandbox, an S3-compatible server)',
  AWS_ENDPOINT_URL_EC2: 'another EC2 endpoint (wins over AWS_ENDPOINT_URL)',
  AWS_ENDPOINT_URL_S3: 'another S3 endpoint: path-style addressing and checksums only where required',
  AWS_ENDPOINT_URL_IMPORTEXPORT: 'another Import/Export endpoint (default https://importexport.amazonaws.com)',
  AWS_ENDPOINT_URL_SNOWBALL: 'another Snowball endpoint (default: the regional one)',
  EC2_BACKUP_FLAGS_AWS: 'run-instances flags as the AWS CLI spells them, e.g. "--instance-type t3.small --key-name mykey"',
  EC2_BACKUP_FLAGS_SSH: 'OpenSSH flags to reach the instance: -i KEY, -p PORT, -l USER, -o Key=Value, e.g. "-i ~/.ssh/ec2-key -l ec2-user"',
  EC2_BACKUP_VERBOSE: 'when set, report progress on stderr',
  OFFSITE_STATE_DIR: 'run ledgers and locks (default $XDG_STATE_HOME/offsite, else ~/.local/state/offsite)',
  OFFSITE_SSH_TRANSPORT: 'bulk data over auto, openssh or ssh2, as --transport',
  OFFSITE_TRUECRYPT_PASSWORD: 'the TrueCrypt container password of a returned disk (never on a command line)',
  OFFSITE_VERIFY_BUCKET: 'the source bucket when --bucket is not given',
  OFFSITE_DEBUG: 'print the stack of an unexpected error',
  SSH_AUTH_SOCK: 'an ssh-agent holding the login key',
  TMPDIR: 'where private temporary directories are made',
};

/** The same for every command (docs/exit-codes.md); a command adds or rewords what is special to it. */
const EXIT_CODES: Record<number, string> = {
  [ExitCode.ok]: 'ok',
  [ExitCode.failed]: 'failed',
  [ExitCode.usage]: 'usage or bad input, found before anything was created',
  [ExitCode.differences]: 'differences found',
  [ExitCode.leftBehind]: 'clean-up left something behind; offsite cleanup removes it',
  [ExitCode.interrupted]: 'interrupted (Ctrl-C, SIGTERM, SIGHUP); clean-up ran',
  [ExitCode.outputClosed]: 'stdout or stderr went away; clean-up still ran',
};

const ALWAYS = [ExitCode.ok, ExitCode.failed, ExitCode.usage, ExitCode.interrupted, ExitCode.outputClosed];

export interface HelpExtras {
  /** Variable names from the shared list, or [name, meaning] for one only this command reads. */
  environment: (string | [string, string])[];
  /** Codes beyond 0, 1, 2, 130 and 141, or rewordings: code → meaning. */
  exitCodes?: Record<number, string>;
  /** Two or three command lines that work as written. */
  examples: string[];
  /** A sentence or two after the examples. */
  notes?: string;
}

/** The terminal's width for help, 80 when stdout is not a terminal. */
export function helpWidth(): number {
  return process.stdout.columns || 80;
}

/** What each command's help showed last, for the man pages and the docs check (filled as help is rendered). */
const shown = new WeakMap<Command, HelpExtras>();

/** For `.addHelpText('after', helpExtras({...}))`: environment, exit codes and examples after a command's flags. */
export function helpExtras(extras: HelpExtras): (context: { command: Command }) => string {
  return ({ command }) => {
    shown.set(command, extras);
    return helpExtrasText(command, extras);
  };
}

/** A command's environment, exit codes and examples as data (rendering its help once to find them). */
export function helpExtrasOf(command: Command): { environment: [string, string][]; exitCodes: [string, string][]; examples: string[]; notes?: string } | undefined {
  // Commander runs addHelpText callbacks on this event; a Command is an EventEmitter, its typings do not say so.
  (command as unknown as EventEmitter).emit('afterHelp', { error: false, command, write: () => true });
  const extras = shown.get(command);
  return extras && { ...rows(extras), examples: extras.examples, ...(extras.notes ? { notes: extras.notes } : {}) };
}

function rows(extras: HelpExtras): { environment: [string, string][]; exitCodes: [string, string][] } {
  const environment = extras.environment.map((entry): [string, string] => {
    if (Array.isArray(entry)) return entry;
    const meaning = ENVIRONMENT[entry];
    if (!meaning) throw new Error(`help-text: no meaning written for ${entry}`);
    return [entry, meaning];
  });
  const codes: Record<string, string> = { ...Object.fromEntries(ALWAYS.map((code) => [code, EXIT_CODES[code]!])), ...extras.exitCodes };
  const exitCodes = Object.entries(codes)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, meaning]): [string, string] => [code, meaning]);
  return { environment, exitCodes };
}

export function helpExtrasText(command: Command, extras: HelpExtras): string {
  const help = command.createHelp();
  help.helpWidth = helpWidth();
  const { environment, exitCodes: exitRows } = rows(extras);
  const blocks = [
    section(help, 'Environment:', environment),
    section(help, 'Exit status:', exitRows),
    `Examples:\n${extras.examples.map((line) => `  $ ${line}`).join('\n')}`,
  ];
  if (extras.notes) blocks.push(help.boxWrap(extras.notes, help.helpWidth));
  return `\n${blocks.join('\n\n')}`;
}

function section(help: ReturnType<Command['createHelp']>, title: string, rows: [string, string][]): string {
  const width = Math.max(...rows.map(([term]) => term.length));
  return [title, ...rows.map(([term, meaning]) => help.formatItem(term, width, meaning, help))].join('\n');
}

/**
 * Every command of the tree wraps its help to the terminal, 80 columns in a pipe. Commander stops wrapping when
 * the left column leaves under 40 columns, so a long subcommand synopsis is shortened to the name (its own help
 * shows the arguments).
 */
export function wrapHelpToTerminal(program: Command): void {
  program.configureHelp({ ...program.configureHelp(), helpWidth: helpWidth(), subcommandTerm: shortSubcommandTerm });
  for (const sub of program.commands) wrapHelpToTerminal(sub);
}

const LONGEST_TERM = 30;

function shortSubcommandTerm(command: Command): string {
  const args = command.registeredArguments.map((arg) => (arg.required ? `<${arg.name()}>` : `[${arg.name()}]`)).join(' ');
  const term = args ? `${command.name()} ${args}` : command.name();
  return term.length > LONGEST_TERM ? command.name() : term;
}
