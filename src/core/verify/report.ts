import { CATEGORIES, type BackupCheck, type Category, type FileVerdict, type SampleSpec, type VerifyReport } from './plan.js';

/** rclone check --combined's markers, and '?' for a file nothing could vouch for. */
export const MARKERS: Record<Category, string> = {
  match: '=',
  differ: '*',
  'missing-remotely': '+',
  'missing-locally': '-',
  unreadable: '!',
  unverified: '?',
};

export function countCategories(files: FileVerdict[]): Record<Category, number> {
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const file of files) counts[file.category]++;
  return counts;
}

/**
 * s3export's arithmetic: one assertion that the copy exists and, when it does, one that its content is the same.
 * Files only on the other side fail one assertion; with --missing-ok a missing copy is a warning, not an assertion.
 */
export function countAssertions(files: FileVerdict[], missingOk: boolean, checks: BackupCheck[] = []): VerifyReport['assertions'] {
  let run = checks.length;
  let failed = checks.filter((c) => !c.ok).length;
  for (const file of files) {
    switch (file.category) {
      case 'match':
        run += 2;
        break;
      case 'differ':
      case 'unverified':
        run += 2;
        failed += 1;
        break;
      case 'missing-remotely':
        if (!missingOk) {
          run += 1;
          failed += 1;
        }
        break;
      case 'missing-locally':
        run += 1;
        failed += 1;
        break;
      case 'unreadable':
        // The remote side answered (it exists) when only its content could not be read.
        run += file.side === 'remote' ? 2 : 1;
        failed += 1;
        break;
    }
  }
  return { run, succeeded: run - failed, failed };
}

/** 3 when anything differs, is missing or cannot be read; 1 when some content could not be vouched for; else 0. */
export function exitCodeFor(counts: Record<Category, number>, missingOk: boolean, checks: BackupCheck[] = []): 0 | 1 | 3 {
  if (checks.some((c) => !c.ok)) return 3;
  if (counts.differ + counts['missing-locally'] + counts.unreadable + (missingOk ? 0 : counts['missing-remotely']) > 0) return 3;
  if (counts.unverified > 0) return 1;
  return 0;
}

export function buildReport(input: {
  source: string;
  target: string;
  root: string;
  sample: SampleSpec;
  localFiles: number;
  remoteFiles: number;
  skippedLocal: number;
  sampled: number;
  files: FileVerdict[];
  checks: BackupCheck[];
  warnings: string[];
  missingOk: boolean;
  started: number;
}): VerifyReport {
  const counts = countCategories(input.files);
  if (input.missingOk && counts['missing-remotely'] > 0) {
    input.warnings.push(`${counts['missing-remotely']} ${counts['missing-remotely'] === 1 ? 'file is' : 'files are'} missing remotely (deleted since the backup?): not counted as failures (missing files allowed)`);
  }
  const { sample } = input;
  return {
    source: input.source,
    target: input.target,
    root: input.root,
    sample: {
      mode: sample.mode,
      ...(sample.value !== undefined ? { value: sample.value } : {}),
      ...(sample.slice ? { slice: `${sample.slice.index}/${sample.slice.total}` } : {}),
      seed: sample.seed,
    },
    localFiles: input.localFiles,
    remoteFiles: input.remoteFiles,
    skippedLocal: input.skippedLocal,
    sampled: input.sampled,
    counts,
    assertions: countAssertions(input.files, input.missingOk, input.checks),
    files: input.files,
    checks: input.checks,
    warnings: input.warnings,
    exitCode: exitCodeFor(counts, input.missingOk, input.checks),
    elapsedMs: Date.now() - input.started,
  };
}

export function summaryLine(report: VerifyReport): string {
  const { run, succeeded, failed } = report.assertions;
  return `Assertions run: ${run}, succeeded: ${succeeded}, failed: ${failed}`;
}

/** Paths under a directory that could not be listed: their absence from the listing says nothing. */
export function underUnreadable(path: string, unreadableDirs: string[]): boolean {
  return unreadableDirs.some((dir) => dir === './' || path.startsWith(dir));
}
