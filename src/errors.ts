import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * An error meant for the operator: its message is one complete line and it carries the exit code.
 * Anything else that escapes is a bug and is reported as "internal error".
 */
export class OffsiteError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.failed, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OffsiteError';
    this.exitCode = exitCode;
  }
}

/** Bad input, detected before any network call: exit 2. */
export class UsageError extends OffsiteError {
  constructor(message: string) {
    super(message, ExitCode.usage);
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

/** Turns anything thrown into one line, without a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof OffsiteError) return error.message;
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
