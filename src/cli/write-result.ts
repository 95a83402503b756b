import type { ResultLine } from '../ui/result-lines.js';

/** Writes a result presenter's lines where they belong, in order. */
export function writeResult(lines: ResultLine[]): void {
  for (const line of lines) (line.stream === 'stdout' ? process.stdout : process.stderr).write(`${line.text}\n`);
}
