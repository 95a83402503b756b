import { UsageError } from '../errors.js';

/**
 * Splits text into words as a POSIX shell would, without running anything: blanks separate words, single quotes
 * keep everything literal, double quotes keep everything but `\\` before `"`, `\\`, `$`, `` ` ``, and a backslash
 * outside quotes escapes the next character. Nothing is expanded. Throws Error on an unterminated quote.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let at = 0;
  while (at < text.length) {
    const char = text[at] ?? '';
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      at++;
      continue;
    }
    inWord = true;
    if (char === "'") {
      const end = text.indexOf("'", at + 1);
      if (end === -1) throw new Error('unterminated single quote');
      word += text.slice(at + 1, end);
      at = end + 1;
    } else if (char === '"') {
      at++;
      for (;;) {
        if (at >= text.length) throw new Error('unterminated double quote');
        const inner = text[at] ?? '';
        if (inner === '"') break;
        const next = text[at + 1] ?? '';
        if (inner === '\\' && (next === '"' || next === '\\' || next === '$' || next === '`')) {
          word += next;
          at += 2;
        } else if (inner === '\\' && next === '\n') {
          at += 2;
        } else {
          word += inner;
          at++;
        }
      }
      at++;
    } else if (char === '\\') {
      const next = text[at + 1];
      if (next === undefined) throw new Error('trailing backslash');
      // A backslash-newline joins lines and produces nothing.
      if (next !== '\n') word += next;
      else if (word === '') inWord = false;
      at += 2;
    } else {
      word += char;
      at++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** {@link splitShellWords} for flags read from `source` (an environment variable, a profile): a bad quote is a usage error. */
export function splitWords(text: string, source: string): string[] {
  try {
    return splitShellWords(text);
  } catch (error) {
    throw new UsageError(`${source}: ${(error as Error).message}`);
  }
}
