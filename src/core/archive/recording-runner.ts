import { lstat, readdir, readFile } from 'node:fs/promises';
import { shellQuote } from '../../ssh/quote.js';
import type { CommandRunner, ExecResult, ExecSpec, FsChange } from './runner.js';
import { renderChange } from './shell.js';

/** A scripted answer: the first rule whose prefix matches the command answers it (once, when `times` is set). */
export interface ScriptedAnswer {
  /** The command line starts with these words. */
  prefix: readonly string[];
  code?: number;
  stdout?: string;
  stderr?: string;
  /** Answer only this many times, then let later rules (or the default success) answer. */
  times?: number;
}

export interface RecordingOptions {
  answers?: ScriptedAnswer[];
  /** Text of files the service reads (/proc/mounts); others are read from the real filesystem. */
  files?: Record<string, string>;
  /** Paths that exist; anything else is looked up for real. */
  existing?: (path: string) => boolean | undefined;
}

/**
 * Runs nothing: records every command, change and back-off wait in order and answers from a script.
 * This is how the LVM path is proved on a kernel without device-mapper: the exact command plan.
 */
export class RecordingRunner implements CommandRunner {
  readonly log: string[] = [];
  private readonly answers: ScriptedAnswer[];

  constructor(private readonly options: RecordingOptions = {}) {
    this.answers = (options.answers ?? []).map((a) => ({ ...a }));
  }

  async exec(spec: ExecSpec): Promise<ExecResult> {
    this.log.push(shellQuote(...spec.argv));
    const rule = this.answers.find((a) => a.prefix.every((word, i) => spec.argv[i] === word) && (a.times === undefined || a.times > 0));
    if (rule?.times !== undefined) rule.times--;
    const stdout = rule?.stdout ?? '';
    if (spec.onStdoutLine) for (const line of stdout.split('\n').filter(Boolean)) spec.onStdoutLine(line);
    return { code: rule?.code ?? 0, stdout, stderr: rule?.stderr ?? '', skipped: false };
  }

  async change(change: FsChange): Promise<void> {
    this.log.push(renderChange(change));
  }

  async exists(path: string): Promise<boolean> {
    return this.options.existing?.(path) ?? lstat(path).then(() => true, () => false);
  }

  async readText(path: string): Promise<string | undefined> {
    if (this.options.files && path in this.options.files) return this.options.files[path];
    return readFile(path, 'utf8').catch(() => undefined);
  }

  async list(dir: string): Promise<string[]> {
    return readdir(dir).catch(() => [] as string[]);
  }

  async sleep(ms: number): Promise<void> {
    this.log.push(`sleep ${ms / 1000}`);
  }
}
