import type { EventSink } from '../core/events.js';
import { jsonPresenter } from '../ui/json.js';
import { plainPresenter } from '../ui/plain.js';

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * --json: JSON lines on stdout and nothing else there; otherwise plain lines on stderr
 * (--quiet: warnings and errors only; default: phases, progress, resources; --verbose: also log lines).
 */
export function chooseSink(flags: OutputFlags, program: string): { sink: EventSink; json: boolean } {
  if (flags.json) return { sink: jsonPresenter((line) => process.stdout.write(`${line}\n`)), json: true };
  const write = (line: string): void => void process.stderr.write(`${line}\n`);
  return { sink: plainPresenter(write, { level: flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal', program }), json: false };
}
