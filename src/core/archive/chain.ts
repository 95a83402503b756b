import { join } from 'node:path';
import { OffsiteError } from '../../errors.js';
import type { CommandRunner, FsChange } from './runner.js';

/** The bookkeeping files of a monthly set, as the original named them. */
export const LATEST_SUCCESSFUL = 'latest_successful';
export const BACKUP_DEPS = 'backup_deps';

export type ArchiveKind = 'full' | 'incremental';

export interface ChainStep {
  kind: ArchiveKind;
  /** Base name (dar adds .N.dar). */
  name: string;
  /** The archive this one is based on (dar -A), for an incremental. */
  parent?: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The monthly set: `<target>/YYYY-MM` (local time, as the original's strftime). */
export function monthSet(target: string, now: Date): string {
  return join(target, `${now.getFullYear()}-${pad(now.getMonth() + 1)}`);
}

/** `<prefix><YYYY-MM-DDTHHMM>-FULL|-INC`; `-2`, `-3` … before the suffix when that minute's name is taken. */
export function archiveName(prefix: string, now: Date, kind: ArchiveKind, attempt = 1): string {
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}${pad(now.getMinutes())}`;
  return `${prefix}${stamp}${attempt > 1 ? `-${attempt}` : ''}-${kind === 'full' ? 'FULL' : 'INC'}`;
}

/** The slices of archive `name` among a directory's file names, in slice order. */
export function slicesOf(files: string[], name: string): string[] {
  const prefix = `${name}.`;
  return files
    .filter((f) => f.startsWith(prefix) && /^\d+\.dar$/.test(f.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length, -4)) - Number(b.slice(prefix.length, -4)));
}

/** The isolated catalogue's base name for an archive. */
export function catalogueName(name: string): string {
  return `${name}-catalogue`;
}

/**
 * FULL when the set has no last good archive (first run of the month), otherwise an INC based on it.
 * A `latest_successful` whose archive is gone would make a broken chain: that becomes a FULL too, with a warning.
 */
export async function nextInChain(
  runner: CommandRunner,
  setRoot: string,
  prefix: string,
  now: Date,
  warn: (message: string) => void,
): Promise<ChainStep> {
  const files = await runner.list(setRoot);
  const latest = ((await runner.readText(join(setRoot, LATEST_SUCCESSFUL))) ?? '').trim();
  let kind: ArchiveKind = latest ? 'incremental' : 'full';
  if (latest && slicesOf(files, latest).length === 0) {
    warn(`${join(setRoot, LATEST_SUCCESSFUL)} names ${latest}, but ${latest}.1.dar is not in the set: starting a new full archive`);
    kind = 'full';
  }
  for (let attempt = 1; attempt < 100; attempt++) {
    const name = archiveName(prefix, now, kind, attempt);
    if (slicesOf(files, name).length === 0 && slicesOf(files, catalogueName(name)).length === 0) {
      return kind === 'full' ? { kind, name } : { kind, name, parent: latest };
    }
  }
  throw new OffsiteError(`${setRoot}: too many archives named for this minute`);
}

/** What a good archive leaves behind: `latest_successful` names it, `backup_deps` gains "name:parent". */
export function recordSuccess(setRoot: string, step: ChainStep): FsChange[] {
  return [
    { op: 'write', path: join(setRoot, LATEST_SUCCESSFUL), text: step.name },
    { op: 'append', path: join(setRoot, BACKUP_DEPS), text: `${step.name}:${step.parent ?? ''}\n` },
  ];
}

/** `backup_deps` as a map: archive → parent ('' for a FULL). */
export function parseBackupDeps(text: string): Map<string, string> {
  const deps = new Map<string, string>();
  for (const line of text.split('\n')) {
    // Names end in -FULL or -INC, so a ':' inside a prefix cannot confuse the split.
    const match = /^(.*?-(?:FULL|INC)):(.*)$/.exec(line.trim());
    if (match) deps.set(match[1]!, match[2]!);
  }
  return deps;
}

/** The archives to extract, FULL first, to restore `name`. Throws when a link is missing. */
export function restoreChain(deps: Map<string, string>, name: string): string[] {
  const chain: string[] = [];
  let current: string | undefined = name;
  while (current) {
    if (chain.includes(current)) throw new OffsiteError(`backup_deps loops at ${current}`);
    const parent = deps.get(current);
    if (parent === undefined) throw new OffsiteError(`backup_deps does not list ${current}: the chain to ${name} is broken`);
    chain.unshift(current);
    current = parent || undefined;
  }
  return chain;
}
