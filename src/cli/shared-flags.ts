import { Option } from 'commander';

/**
 * The flags every command shares, declared here once (name, value, meaning), so `--json` or `--region` cannot mean
 * one thing in one command and another elsewhere. A command may add a few words about its own case.
 */
const SHARED = {
  region: ['--region <region>', 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile)'],
  profile: ['--profile <name>', 'AWS profile (default: AWS_PROFILE)'],
  json: ['--json', 'JSON lines on stdout, one event per line; the last is the result or the error'],
  quiet: ['-q, --quiet', 'only warnings, errors and the result'],
  verbose: ['--verbose', 'also show log lines'],
  nonInteractive: ['--non-interactive', 'never prompt; a missing answer is an error'],
} as const;

export type SharedFlag = keyof typeof SHARED;

/** The shared flags as commander hands them to an action. */
export interface SharedFlags {
  region?: string;
  profile?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  nonInteractive?: boolean;
}

/** A shared flag for `command.addOption(…)`; `more` adds the command's own case to the meaning. */
export function sharedFlag(name: SharedFlag, more?: string): Option {
  const [flags, description] = SHARED[name];
  return new Option(flags, more ? `${description}; ${more}` : description);
}
