/** The one exit-code table (documented in README.md). Any other code means failure. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  differences: 3,
  /** The work finished (or failed) but its clean-up left resources behind; `offsite cleanup` removes them. */
  leftBehind: 4,
  interrupted: 130,
  /** Stdout or stderr went away (a closed pipe, a vanished terminal); the clean-up still ran. 128 + SIGPIPE. */
  outputClosed: 141,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
