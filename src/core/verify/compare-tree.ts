import type { Emit } from '../phases.js';
import type { FileVerdict, SampleSpec } from './plan.js';
import { underUnreadable } from './report.js';
import { SampleSelector } from './sample.js';
import { listTree } from './walk.js';

/** Compares the chosen files; files are handed over as soon as they are chosen, the verdicts come back at the end. */
export interface FileChecker {
  add(path: string): void;
  done(): Promise<FileVerdict[]>;
}

export interface TreeComparison {
  /** Sampled files in path order, then the files only the other side has. */
  files: FileVerdict[];
  localFiles: number;
  remoteFiles: number;
  skippedLocal: number;
  sampled: number;
}

/**
 * Lists the local tree (the other side's listing runs meanwhile), hands each chosen file to the checker — at once
 * for --all, a share or a slice, at the end for a counted sample — and reports what only the other side has.
 * Listing and checking overlap; both stay within `forks` operations in flight.
 */
export async function compareTree(options: {
  root: string;
  sample: SampleSpec;
  forks: number;
  signal: AbortSignal;
  emit: Emit;
  /** Relative paths on the other side (started by the caller, so it runs while the local tree is listed). */
  remote: Promise<Set<string>>;
  checker: FileChecker;
  /** Runs the listing inside a phase. */
  phase: <T>(id: string, title: string, work: () => Promise<T>) => Promise<T>;
}): Promise<TreeComparison> {
  const { root, sample, forks, signal, checker } = options;
  const selector = new SampleSelector(sample);
  const local = new Set<string>();
  let sampled = 0;
  const choose = (path: string): void => {
    sampled++;
    checker.add(path);
  };
  const remote = options.remote;
  remote.catch(() => undefined); // awaited below; a failure must not go unhandled while the local listing runs

  const listing = await options.phase('list', `List ${root}`, async () => {
    const result = await listTree(root, {
      forks,
      signal,
      onFile: (path) => {
        if (selector.inScope(path)) local.add(path);
        if (selector.offer(path)) choose(path);
      },
    });
    for (const path of selector.finish()) choose(path);
    options.emit({ type: 'log', message: `${root}: ${result.files} files, ${sampled} chosen${result.skipped ? `, ${result.skipped} symlinks and special files not compared` : ''}` });
    return result;
  });

  const remotePaths = await remote;
  const verdicts = await options.phase('compare', `Compare ${sampled} ${sampled === 1 ? 'file' : 'files'}`, () => checker.done());
  const checked = verdicts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const unreadableDirs = listing.unreadable.map((u) => u.path);
  const unreadable: FileVerdict[] = listing.unreadable.map((u) => ({ path: u.path, category: 'unreadable', side: 'local', evidence: [], reason: `cannot list this directory: ${u.reason}` }));
  const onlyRemote: FileVerdict[] = [];
  let remoteInScope = 0;
  for (const path of [...remotePaths].sort()) {
    if (!selector.inScope(path)) continue;
    remoteInScope++;
    if (!local.has(path) && !underUnreadable(path, unreadableDirs)) onlyRemote.push({ path, category: 'missing-locally', evidence: [] });
  }
  return {
    files: [...unreadable, ...checked, ...onlyRemote],
    localFiles: local.size,
    remoteFiles: remoteInScope,
    skippedLocal: listing.skipped,
    sampled,
  };
}
