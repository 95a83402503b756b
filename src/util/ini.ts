import { UsageError } from '../errors.js';

/**
 * A small INI reader in the dialect of Python's ConfigParser (the original script's format), keeping the
 * line of every section and key so that profile errors can point at them. No installed library keeps lines.
 */
export interface IniValue {
  value: string;
  line: number;
}

export interface IniSection {
  name: string;
  line: number;
  keys: Map<string, IniValue>;
}

export interface IniDocument {
  file: string;
  sections: Map<string, IniSection>;
  /** The line after the last one: where a missing section would go. */
  endLine: number;
}

/** A profile error: `file:line: message`, exit 2. */
export class ProfileError extends UsageError {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ProfileError';
  }
}

const SECTION = /^\[([^\]]*)\]\s*(?:[;#].*)?$/;
const KEY_VALUE = /^([^=:]*?)\s*[=:]\s*(.*)$/;

export function parseIni(text: string, file: string): IniDocument {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const sections = new Map<string, IniSection>();
  let section: IniSection | undefined;
  let last: IniValue | undefined;
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      if (trimmed === '') last = undefined;
      return;
    }
    // ConfigParser: an indented line continues the value above it.
    if (/^\s/.test(raw) && last) {
      last.value = `${last.value}\n${stripComment(trimmed)}`.trim();
      return;
    }
    last = undefined;
    const header = SECTION.exec(trimmed);
    if (header) {
      const name = header[1]!.trim();
      if (!name) throw new ProfileError(file, line, 'empty section name []');
      const earlier = sections.get(name);
      if (earlier) throw new ProfileError(file, line, `section [${name}] repeated (first at line ${earlier.line})`);
      section = { name, line, keys: new Map() };
      sections.set(name, section);
      return;
    }
    const pair = KEY_VALUE.exec(trimmed);
    if (!pair) throw new ProfileError(file, line, `cannot read '${trimmed}': expected [section] or key = value`);
    const key = pair[1]!.trim().toLowerCase();
    if (!key) throw new ProfileError(file, line, `missing key name before '${trimmed[pair[1]!.length] ?? '='}'`);
    if (!section) throw new ProfileError(file, line, `key '${key}' is outside any [section]`);
    const earlier = section.keys.get(key);
    if (earlier) throw new ProfileError(file, line, `[${section.name}] ${key}: set twice (first at line ${earlier.line})`);
    last = { value: stripComment(pair[2]!), line };
    section.keys.set(key, last);
  });
  return { file, sections, endLine: lines.length + (lines.at(-1) === '' ? 0 : 1) };
}

/** An inline comment starts at ';' or '#' after white space, as ConfigParser strips ' ;' comments. */
function stripComment(value: string): string {
  return value.replace(/\s[;#].*$/, '').trim();
}
