/**
 * What a finished run shows a person, in order: its answer on stdout (what a script reads: a volume id, a URL, a
 * report) and notes for people on stderr. Presenters build these; the command writes them (nothing with --json,
 * where the `result` event is the answer).
 */
export interface ResultLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

export const answer = (text: string): ResultLine => ({ stream: 'stdout', text });
export const note = (text: string): ResultLine => ({ stream: 'stderr', text });
