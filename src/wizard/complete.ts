import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';

/** A Tab press's answer: the longer value, and every name that matched (a second Tab lists them). */
export interface Completion {
  value: string;
  matches: string[];
}

/** Completes the last path component to the longest common prefix of the matching directories (and files). */
export async function completePath(partial: string, cwd = process.cwd(), options: { files?: boolean } = {}): Promise<Completion> {
  const expanded = partial.startsWith('~') ? homedir() + partial.slice(1) : partial;
  const absolute = resolve(cwd, expanded || '.');
  // Nothing typed yet: the names in the current directory.
  const endsWithSlash = expanded === '' || expanded.endsWith('/');
  const parent = endsWithSlash ? absolute : dirname(absolute);
  const stem = endsWithSlash ? '' : basename(absolute);
  const names = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const found = names.filter((d) => (options.files || d.isDirectory() || d.isSymbolicLink()) && d.name.startsWith(stem) && (stem.startsWith('.') || !d.name.startsWith('.')));
  if (found.length === 0) return { value: partial, matches: [] };
  const matches = found.map((d) => (d.isDirectory() ? `${d.name}/` : d.name)).sort();
  let common = found[0]!.name;
  for (const m of found) while (!m.name.startsWith(common)) common = common.slice(0, -1);
  const completed = `${partial.slice(0, partial.length - stem.length)}${common}`;
  return { value: found.length === 1 && found[0]!.isDirectory() ? `${completed}/` : completed, matches };
}
