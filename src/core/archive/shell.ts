import { OffsiteError } from '../../errors.js';
import type { Emit } from '../phases.js';
import { shellQuote } from '../../ssh/quote.js';
import { throwIfAborted } from '../../util/poll.js';
import type { CommandRunner, ExecResult, ExecSpec, FsChange } from './runner.js';

/** A command that exited non-zero: one line, with the last thing it said. */
export class CommandFailed extends OffsiteError {
  constructor(
    readonly argv: readonly string[],
    readonly result: ExecResult,
  ) {
    super(`${commandName(argv)} failed (exit ${result.code})${lastLine(result.stderr || result.stdout) ? `: ${lastLine(result.stderr || result.stdout)}` : ''}`);
    this.name = 'CommandFailed';
  }
}

/**
 * The archive service's hands: logs every command as the original did ("Command: …"), keeps them in order
 * for the --noop plan, and under --noop runs only the read-only queries.
 */
export class Shell {
  readonly commands: string[] = [];

  constructor(
    readonly runner: CommandRunner,
    private readonly emit: Emit,
    readonly noop: boolean,
  ) {}

  /** Runs a command; a non-zero exit throws CommandFailed unless `okCodes` allows it. */
  async run(spec: ExecSpec, signal?: AbortSignal, okCodes: readonly number[] = [0]): Promise<ExecResult> {
    this.note(shellQuote(...spec.argv));
    if (this.noop && !spec.query) return { code: 0, stdout: '', stderr: '', skipped: true };
    const result = await this.runner.exec(spec, signal);
    throwIfAborted(signal);
    if (!okCodes.includes(result.code)) throw new CommandFailed(spec.argv, result);
    return result;
  }

  /** Runs a command and hands back whatever exit it had (probes, umount's "not mounted"). */
  async probe(spec: ExecSpec, signal?: AbortSignal): Promise<ExecResult> {
    this.note(shellQuote(...spec.argv));
    if (this.noop && !spec.query) return { code: 0, stdout: '', stderr: '', skipped: true };
    const result = await this.runner.exec(spec, signal);
    throwIfAborted(signal);
    return result;
  }

  async change(change: FsChange): Promise<void> {
    this.note(renderChange(change));
    if (!this.noop) await this.runner.change(change);
  }

  private note(line: string): void {
    this.commands.push(line);
    this.emit({ type: 'log', message: `${this.noop ? 'would run' : 'Command'}: ${line}` });
  }
}

/** The shell line that makes the same change, so a --noop plan can be read (or pasted) as a script. */
export function renderChange(change: FsChange): string {
  switch (change.op) {
    case 'mkdir':
      return shellQuote('mkdir', ...(change.parents ? ['-p'] : []), change.path);
    case 'rmdir':
      return shellQuote('rmdir', change.path);
    case 'write':
      return `${printfText(change.text)} > ${shellQuote(change.path)}`;
    case 'append':
      return `${printfText(change.text)} >> ${shellQuote(change.path)}`;
    case 'remove':
      return shellQuote('rm', '-f', change.path);
  }
}

/** printf that writes `text`, on one line even when the text ends a line. */
function printfText(text: string): string {
  return text.endsWith('\n') ? `printf '%s\\n' ${shellQuote(text.slice(0, -1))}` : `printf %s ${shellQuote(text)}`;
}

function commandName(argv: readonly string[]): string {
  // "btrfs subvolume snapshot", "dar -c", "lvcreate": enough to know which step failed.
  const [program = '?', ...rest] = argv;
  if (program === 'dar') return `dar ${rest[0] ?? ''}`.trim();
  const words = [program];
  for (const word of rest) {
    if (words.length >= 3 || word.startsWith('-') || word.includes('/')) break;
    words.push(word);
  }
  return words.join(' ');
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  ).slice(0, 300);
}
