/**
 * Quoting for the remote shell. Every command offsite runs over SSH is a string that the instance's
 * `sh -c` parses, so each argument must survive that parse byte for byte.
 */

/** Characters that no POSIX shell treats specially anywhere in a word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes each argument for a POSIX shell and joins them with spaces: `shellQuote('ls', 'a b')` → `ls 'a b'`. */
export function shellQuote(...args: string[]): string {
  return args.map(quoteWord).join(' ');
}

function quoteWord(arg: string): string {
  if (arg === '') return "''";
  if (SAFE_WORD.test(arg)) return arg;
  // Inside single quotes nothing is special except the quote itself, which is closed, escaped and reopened.
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** rsync splits its -e value itself (not through a shell) and honours double quotes. */
export function rsyncWord(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/(["\\])/g, '\\$1')}"` : word;
}
