/**
 * The core never names a flag: its messages carry the input and the remedy as keys (src/errors.ts) and each face
 * spells them (the command line as flags, the wizard as fields). This reads every string and template literal of
 * src/core — comments are not literals — and fails on one that names a flag (`--word`, or `-x` as a word), except
 * the arguments of the programs the core runs, which are recognised by where they stand, and the few listed below.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { sources } from './sources.js';

const CORE = join(repoRoot, 'src', 'core');

/** A flag as a word of its own: "--overwrite", "(--timeout)", "-v vol-…"; not "x-amz-meta" or "2 -> 3". */
const FLAG = /(?:^|[\s('"`=])--?[a-zA-Z][\w-]*/;

/** Calls whose arguments are a program's command line (argv arrays, shell scripts), not words for the operator. */
const COMMAND_CALLS = /^(?:exec|spawn|execFile|run|probe|runTool|runLocal|runForStatus|shellQuote|sgdisk|attachLoop|holdUntil|dd|imageCommand)$/;

/** Calls whose argument is text to look for, never shown: `id.endsWith('-transport')`. */
const LOOKUP_CALLS = /^(?:endsWith|startsWith|includes|indexOf|split)$/;

/** Declarations (constants, functions, properties) whose value is a command line or a piece of a shell script. */
const COMMAND_NAMES = /^(?:script|argv|args|HASHER|rounded|exact|directRead|\w+Script|\w+Args|imageCommand)$/;

/**
 * Literals that name a flag on purpose, by file and a piece of their text. Each is the argument of a program
 * (OpenSSH's -o, sgdisk's option), a key that is never shown, or a description of what a program does.
 */
const ALLOWED: { file: string; text: string; why: string }[] = [
  { file: 'instance/lifecycle.ts', text: '-o HostName=', why: "OpenSSH's option, given in EC2_BACKUP_FLAGS_SSH the same whatever the face" },
  { file: 'verify/open-source.ts', text: 'sgdisk --move-second-header', why: 'names the sgdisk repair it runs' },
  { file: 'verify/sample.ts', text: 'offsite verify --slice', why: 'a hashing key, never shown' },
  { file: 'archive/outline.ts', text: ' --delete', why: "describes rsync's own option in the archive outline" },
  { file: 'archive/profile.ts', text: '(lvcreate --size)', why: "names lvcreate's option that the profile value is given to" },
  { file: 'archive/profile.ts', text: '(dar -s)', why: "names dar's option that the profile value is given to" },
  { file: 'archive/profile.ts', text: '(dar -g)', why: "names dar's option that the profile value is given to" },
  { file: 'restore/ebs-rsync.ts', text: '(rsync -c)', why: "names rsync's checksum mode it runs" },
  { file: 'restore/ebs.ts', text: '(rsync -c)', why: "names rsync's checksum mode, the restore's proof" },
  { file: 'restore/phases.ts', text: '(dar -', why: 'names the dar step it runs' },
  { file: 'restore/archive.ts', text: 'dar -', why: 'names the dar step it runs' },
  { file: 'archive/archive.ts', text: '(dar -t)', why: 'names the dar step it runs' },
  { file: 'archive/phases.ts', text: '(dar -t)', why: 'names the dar step it runs' },
  { file: 'export/create-job.ts', text: '(mkfs -t ext4 -m 0)', why: 'names the mkfs it runs' },
  { file: 'cleanup/find-local.ts', text: 'losetup -d', why: 'the command that removes a loop device by hand' },
  { file: 'results.ts', text: 'offsite s3 --cedar-config', why: 'a schema description for the generated JSON reference' },
  { file: 'results.ts', text: 'offsite restore --list', why: 'a schema description for the generated JSON reference' },
  { file: 'left-behind.ts', text: ' --yes', why: 'the documented clean-up command, as above' },
  { file: 'left-behind.ts', text: 'offsite cleanup --run', why: 'the documented clean-up command (docs/json.md `cleanup`), the same for every face' },
];

/** An open bracket: the call it belongs to, whether it opens an array, and the name being declared inside it. */
interface Open {
  char: string;
  callee?: string;
  array?: boolean;
  declared?: string;
  /** Declared by the statement being read at this level (`const script = \`…\``), until its `;`. */
  statement?: string;
}

interface Literal {
  text: string;
  line: number;
  /** A template's part right after a `${…}`: "-volume" in `${id}-volume` glues on, it is no flag. */
  glued: boolean;
  /** Inside an argv array, a command call's arguments or a script's declaration. */
  commandLine: boolean;
}

const IDENT = /[\w$]/;
/** Words after which `[` opens an array rather than indexing. */
const KEYWORDS = /^(?:return|of|in|case|typeof|yield|await|throw)$/;
/** After these a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = /[(,=:[!&|?{};+\-*%<>~^]|^$|\b(?:return|typeof|case|of|in)$/;

/**
 * The string and template literals of a TypeScript source, comments skipped, each with whether it stands where a
 * program's command line does. A small scanner rather than a parser: brackets, quotes, templates and regexes.
 */
export function literalsOf(source: string): Literal[] {
  const found: Literal[] = [];
  const stack: Open[] = [{ char: 'top' }];
  let line = 1;
  let i = 0;
  let last = ''; // the last significant token (a word or one character)
  const top = (): Open => stack[stack.length - 1]!;
  const inCommandLine = (): boolean =>
    stack.some((open) => open.array || (open.callee !== undefined && (COMMAND_CALLS.test(open.callee) || LOOKUP_CALLS.test(open.callee))) || [open.declared, open.statement].some((name) => name !== undefined && COMMAND_NAMES.test(name)));
  const word = (at: number): string => {
    let j = at;
    while (j > 0 && IDENT.test(source[j - 1]!)) j--;
    return source.slice(j, at);
  };
  const declaredBefore = (at: number): string | undefined => {
    // `const NAME =`, `NAME:` (a property), `function NAME(`: the name whose value follows.
    const before = source.slice(Math.max(0, at - 120), at);
    const match = /(?:(?:const|let|var)\s+([\w$]+)\s*(?::[^=]*)?=\s*$)|(?:([\w$]+)\s*:\s*$)|(?:function\s+([\w$]+)\s*(?:<[^>]*>)?\s*$)|(?:function\s+([\w$]+)\s*\([^()]*\)[^{}()]*$)/.exec(before);
    return match ? (match[1] ?? match[2] ?? match[3] ?? match[4]) : undefined;
  };
  let glued = false;
  const quoted = (quote: string): void => {
    const from = i + 1;
    const at = line;
    let text = '';
    for (i = from; i < source.length && source[i] !== quote; i++) {
      if (source[i] === '\\') text += source[++i];
      else text += source[i];
    }
    found.push({ text, line: at, glued: false, commandLine: inCommandLine() });
    i++;
  };
  const templatePart = (): void => {
    // From just after ` or }, up to the closing ` or the next ${.
    const at = line;
    let text = '';
    while (i < source.length) {
      const c = source[i]!;
      if (c === '\\') {
        text += source[i + 1];
        i += 2;
        continue;
      }
      if (c === '`') {
        i++;
        found.push({ text, line: at, glued, commandLine: inCommandLine() });
        return;
      }
      if (c === '$' && source[i + 1] === '{') {
        i += 2;
        found.push({ text, line: at, glued, commandLine: inCommandLine() });
        stack.push({ char: '${' });
        last = '{';
        return;
      }
      if (c === '\n') line++;
      text += c;
      i++;
    }
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '/' && next === '/') while (i < source.length && source[i] !== '\n') i++;
    else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      line += source.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (c === '/' && BEFORE_REGEX.test(last)) {
      let inClass = false;
      for (i++; i < source.length; i++) {
        if (source[i] === '\\') i++;
        else if (source[i] === '[') inClass = true;
        else if (source[i] === ']') inClass = false;
        else if (source[i] === '/' && !inClass) break;
      }
      i++;
      while (IDENT.test(source[i] ?? '')) i++;
      last = 'regex';
    } else if (c === "'" || c === '"') {
      quoted(c);
      last = 'string';
    } else if (c === '`') {
      i++;
      glued = false;
      templatePart();
      if (last !== '{') last = 'string';
    } else if (c === '}' && top().char === '${') {
      stack.pop();
      i++;
      glued = true;
      templatePart();
      if (last !== '{') last = 'string';
    } else if (c === '(' || c === '[' || c === '{') {
      const open: Open = { char: c };
      if (c === '(') {
        const callee = word(i);
        if (callee) open.callee = callee;
      }
      if (c === '[' && ((!IDENT.test(last.slice(-1)) && last !== ')' && last !== ']') || KEYWORDS.test(last))) open.array = true;
      const declared = declaredBefore(i);
      if (declared) open.declared = declared;
      stack.push(open);
      last = c;
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      if (stack.length > 1) stack.pop();
      last = c;
      i++;
    } else if (IDENT.test(c)) {
      const from = i;
      while (IDENT.test(source[i] ?? '')) i++;
      last = source.slice(from, i);
      // A declaration whose value is a bare template or string: `const script = \`…\``.
      if (/^(?:const|let|var)$/.test(last)) {
        const match = /^\s+([\w$]+)\s*(?::[^=]*)?=\s*[`'"]/.exec(source.slice(i, i + 200));
        if (match) top().statement = match[1]!;
      }
    } else {
      if (c === ';') delete top().statement;
      last = c;
      i++;
    }
  }
  return found;
}

/** `file:line: text` for every literal of a source that names a flag and is neither a command line nor allowed. */
export function flagMentions(file: string, source: string): string[] {
  return literalsOf(source)
    .filter((literal) => FLAG.test(literal.glued ? `x${literal.text}` : literal.text) && !literal.commandLine)
    .filter((literal) => !ALLOWED.some((entry) => file.endsWith(entry.file) && literal.text.includes(entry.text)))
    .map((literal) => `${file}:${literal.line}: ${literal.text}`);
}

describe('the core names no flags', () => {
  it('finds a flag in a message, and not in a command line or a comment', () => {
    const sample = [
      "// pass --overwrite (a comment)",
      "throw new UsageError(`${target} is not empty: restore into an empty or new directory, or add --overwrite`);",
      "emit({ type: 'warning', message: '-v vol-1: in use' });",
      "await runTool(['mkfs', '-t', 'ext4', '-m', '0', target]);",
      "const script = `mkdir -p ${dir} && mount ${device} ${dir}`;",
      "throw new UsageError(`${target} is not empty`, { remedy: 'overwrite' });",
    ].join('\n');
    expect(flagMentions('sample.ts', sample).map((line) => line.split(': ')[0])).toEqual(['sample.ts:2', 'sample.ts:3']);
  });

  it('src/core: every flag-like literal is a command line or on the list, with its reason', async () => {
    const found: string[] = [];
    for (const file of await sources(CORE)) found.push(...flagMentions(relative(CORE, file), await readFile(file, 'utf8')));
    expect(found).toEqual([]);
  });

  it('every entry of the list is still needed', async () => {
    const texts = new Map<string, string>();
    for (const file of await sources(CORE)) texts.set(relative(CORE, file), await readFile(file, 'utf8'));
    const stale = ALLOWED.filter((entry) => ![...texts].some(([file, text]) => file.endsWith(entry.file) && text.includes(entry.text)));
    expect(stale).toEqual([]);
  });
});
