import { randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import type { SampleSpec } from '../../core/verify/plan.js';

export const DEFAULT_SAMPLE = 100;

/** `--sample N` or `--sample P%`. */
export function parseSample(value: string, flag = '--sample'): Pick<SampleSpec, 'mode' | 'value'> {
  const text = value.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (!(p > 0 && p <= 100)) throw new UsageError(`${flag}: '${value}' must be a share above 0% and at most 100%`);
    return p === 100 ? { mode: 'all' } : { mode: 'percent', value: p };
  }
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag}: '${value}' is not a number of files (like 100) or a share (like 5%)`);
  }
  return { mode: 'count', value: Number(text) };
}

/** `--slice n/t`: slice n of t, 1 ≤ n ≤ t. */
export function parseSlice(value: string, flag = '--slice'): { index: number; total: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const total = Number(match?.[2]);
  if (!match || index < 1 || total < 1 || index > total || total > 1_000_000) {
    throw new UsageError(`${flag}: '${value}' is not a slice like 1/5 (n of t, 1 ≤ n ≤ t)`);
  }
  return { index, total };
}

export function parseSeed(value: string, flag = '--seed'): string {
  const seed = value.trim();
  if (seed === '' || seed.length > 200) throw new UsageError(`${flag}: give a word or number of at most 200 characters`);
  return seed;
}

export function randomSeed(): string {
  return randomBytes(6).toString('hex');
}

/** Builds the sample spec from the flags; --all and --sample exclude each other; a slice alone means all of it. */
export function sampleSpec(flags: { sample?: string; all?: boolean; seed?: string; slice?: string }): SampleSpec {
  if (flags.all && flags.sample !== undefined) throw new UsageError('--all and --sample exclude each other');
  const slice = flags.slice !== undefined ? parseSlice(flags.slice) : undefined;
  const chosen = flags.all
    ? { mode: 'all' as const }
    : flags.sample !== undefined
      ? parseSample(flags.sample)
      : slice
        ? { mode: 'all' as const }
        : { mode: 'count' as const, value: DEFAULT_SAMPLE };
  return { ...chosen, ...(slice ? { slice } : {}), seed: flags.seed !== undefined ? parseSeed(flags.seed) : randomSeed() };
}
