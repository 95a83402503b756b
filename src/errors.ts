import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * Inputs a message can be about. The core names none of them: each face does, its own way (a flag on the command
 * line, a field in the wizard), so a message reads right wherever it is shown.
 */
export const INPUT_KEYS = [
  'volume',
  'snapshot',
  'method',
  'imageId',
  'subnetId',
  'placement',
  'include',
  'asOf',
  'archive',
  'passphraseFile',
  'passwordFile',
  'cedarConfig',
  'targetDirectory',
  'roleArn',
  'olderThan',
] as const;
export type InputKey = (typeof INPUT_KEYS)[number];

/** What the operator can do about a message; each face phrases it (a flag to add, a choice to make). */
export const REMEDY_KEYS = [
  'overwrite',
  'force',
  'allowChangingFiles',
  'confirm',
  'namedRun',
  'cleanupRun',
  'imageId',
  'skipFormat',
  'snowball',
  'roleArn',
  'passphraseFile',
  'passwordFile',
  'targetDirectory',
  'noResume',
  'ddMethod',
  'timeout',
] as const;
export type RemedyKey = (typeof REMEDY_KEYS)[number];

/** A message's face-neutral parts: the input it is about (shown before it) and the remedy (shown after it). */
export interface Advice {
  input?: InputKey;
  /** The value given for `input` (a volume id, a path). */
  value?: string;
  remedy?: RemedyKey;
  /** The remedy's own value (the run id to name). */
  remedyValue?: string;
}

/** How a face words an input and a remedy. */
export interface Wording {
  /** The subject before a message: "--volume vol-1", "Volume vol-1". */
  input(key: InputKey, value: string | undefined): string;
  /** A clause after the message: "add --overwrite", "choose the dd method"; undefined when the face has none. */
  remedy(key: RemedyKey, value: string | undefined): string | undefined;
}

/** `subject: text; remedy` (or `text, or …`), in a face's words. */
export function advised(text: string, advice: Advice | undefined, words: Wording): string {
  if (!advice) return text;
  const subject = advice.input ? `${words.input(advice.input, advice.value)}: ` : advice.value ? `${advice.value}: ` : '';
  const phrase = advice.remedy ? words.remedy(advice.remedy, advice.remedyValue) : undefined;
  // An alternative ("or add --overwrite") follows the message's own advice after a comma; anything else after "; ".
  const remedy = phrase ? `${phrase.startsWith('or ') ? ', ' : '; '}${phrase}` : '';
  return `${subject}${text}${remedy}`;
}

/** The words no face chose: an error's own message, for logs and for messages nested in other messages. */
const NEUTRAL_INPUT: Record<InputKey, string> = {
  volume: 'volume',
  snapshot: 'snapshot',
  method: 'method',
  imageId: 'image',
  subnetId: 'subnet',
  placement: 'placement',
  include: 'included path',
  asOf: 'as-of date',
  archive: 'archive set',
  passphraseFile: 'passphrase file',
  passwordFile: 'password file',
  cedarConfig: 'Cedar Backup configuration',
  targetDirectory: 'target directory',
  roleArn: 'role ARN',
  olderThan: 'age',
};

const NEUTRAL_REMEDY: Record<RemedyKey, (value: string | undefined) => string> = {
  overwrite: () => 'or allow overwriting what is there',
  force: () => 'force it to restore it anyway',
  allowChangingFiles: () => 'or allow changing files to keep such a backup (tagged offsite:state=inconsistent)',
  confirm: () => 'confirm by typing the device name when asked, or confirm beforehand',
  namedRun: (run) => `name run ${run} to remove it`,
  cleanupRun: (run) => `or clean up run ${run} if it is dead`,
  imageId: () => 'name an image',
  skipFormat: () => 'or keep its filesystem (no formatting) to use it as it is',
  snowball: () => 'choose the Snowball service',
  roleArn: () => 'or give the role ARN',
  passphraseFile: () => 'give the passphrase file',
  passwordFile: () => 'or give a password file',
  targetDirectory: () => 'or name the directory if the export named another',
  noResume: () => 'or start afresh to discard them',
  ddMethod: () => 'use the dd method or another volume',
  timeout: () => 'wait longer with a longer timeout',
};

export const neutralWording: Wording = {
  input: (key, value) => (value === undefined ? NEUTRAL_INPUT[key] : `${NEUTRAL_INPUT[key]} ${value}`),
  remedy: (key, value) => NEUTRAL_REMEDY[key](value),
};

/**
 * An error meant for the operator: its message is one complete line and it carries the exit code. `text` and
 * `advice` are its parts, for a face to word; `message` is them in neutral words. Anything else that escapes is a
 * bug and is reported as "internal error".
 */
export class OffsiteError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly text: string;
  readonly advice: Advice | undefined;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.failed, options?: { cause?: unknown; advice?: Advice }) {
    super(advised(message, options?.advice, neutralWording), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OffsiteError';
    this.exitCode = exitCode;
    this.text = message;
    this.advice = options?.advice;
  }
}

/** Bad input, detected before any network call: exit 2. */
export class UsageError extends OffsiteError {
  constructor(message: string, advice?: Advice) {
    super(message, ExitCode.usage, advice ? { advice } : undefined);
    this.name = 'UsageError';
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM): exit 130. */
export class InterruptedError extends OffsiteError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
    this.name = 'InterruptedError';
  }
}

/** Turns anything thrown into one line, without a stack trace; an OffsiteError in a face's words when given. */
export function describeError(error: unknown, words?: Wording): string {
  if (error instanceof OffsiteError) return words ? advised(error.text, error.advice, words) : error.message;
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    return `${name}${firstLine(error.message)}`;
  }
  return firstLine(String(error));
}

export function exitCodeOf(error: unknown): ExitCodeValue {
  return error instanceof OffsiteError ? error.exitCode : ExitCode.failed;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.trim();
}
