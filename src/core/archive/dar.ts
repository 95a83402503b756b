import type { DarSettings } from './profile.js';

/**
 * `dar -c` with the original's options (-w -s … -D -z9 -m 150 -Z … [-g …] [-A parent]), plus -Q (no tty
 * warning: we run without a terminal) and -vt (one line per file, our progress).
 */
export function darCreateArgs(options: { base: string; root: string; reference?: string; subdirs: string[]; dar: DarSettings }): string[] {
  const { dar } = options;
  return [
    'dar',
    '-c',
    options.base,
    '-R',
    options.root,
    '-w',
    '-s',
    dar.sliceSize,
    '-D',
    ...(dar.compression === 'none' ? [] : [`-z${dar.compression}`]),
    '-m',
    String(dar.minCompressSize),
    ...dar.noCompress.flatMap((mask) => ['-Z', mask]),
    ...options.subdirs.flatMap((dir) => ['-g', dir]),
    ...(options.reference ? ['-A', options.reference] : []),
    '-Q',
    '-vt',
    ...dar.extraArgs,
  ];
}

export function darTestArgs(base: string): string[] {
  return ['dar', '-t', base, '-Q', '-q'];
}

/** Isolates the catalogue: a small file that can stand in as the reference if the archive is damaged. */
export function darIsolateArgs(catalogueBase: string, base: string): string[] {
  return ['dar', '-C', catalogueBase, '-A', base, '-Q', '-q', '-w'];
}

/** Restores one archive of a chain into `root`, over what an earlier one restored (deletions applied). */
export function darExtractArgs(base: string, root: string): string[] {
  return ['dar', '-x', base, '-R', root, '-Q', '-q', '-w'];
}

/** dar's exit codes (man dar, EXIT CODES), for one-line errors. */
export function describeDarExit(code: number): string {
  const meanings: Record<number, string> = {
    1: 'syntax error on the command line',
    2: 'hardware problem or out of memory',
    3: 'internal error (a dar bug)',
    4: 'dar needed an answer from a terminal',
    5: 'a file could not be read (or was found corrupted)',
    6: 'a user command failed',
    7: 'libdar API misuse (a dar bug)',
    8: 'integer overflow',
    9: 'unknown error',
    10: 'feature disabled at compile time',
    11: 'files changed while dar read them',
    127: 'dar is not installed',
  };
  return meanings[code] ?? `exit ${code}`;
}

/** dar exits 11 when a file changed while it was read: the archive is complete, those files are flagged dirty. */
export const DAR_DIRTY = 11;

/** The path in a `-vt` line "Adding file to archive: /path", or undefined for other lines. */
export function addedPath(line: string): string | undefined {
  const match = /^Adding [a-z ]+ to archive: (.*)$/.exec(line);
  return match?.[1];
}

export interface DarStats {
  saved?: number;
  unchanged?: number;
  deleted?: number;
  failed?: number;
  dirty?: number;
}

/** The final statistics dar prints after creating an archive. */
export function parseDarStats(text: string): DarStats {
  const number = (pattern: RegExp): number | undefined => {
    const match = pattern.exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const stats: DarStats = {};
  const saved = number(/(\d+) inode\(s\) saved/);
  const unchanged = number(/(\d+) inode\(s\) not saved \(no inode\/file change\)/);
  const deleted = number(/(\d+) inode\(s\) recorded as deleted/);
  const failed = number(/(\d+) inode\(s\) failed to be saved/);
  const dirty = number(/(\d+) inode\(s\) changed at the moment of the backup/);
  if (saved !== undefined) stats.saved = saved;
  if (unchanged !== undefined) stats.unchanged = unchanged;
  if (deleted !== undefined) stats.deleted = deleted;
  if (failed !== undefined) stats.failed = failed;
  if (dirty !== undefined) stats.dirty = dirty;
  return stats;
}
