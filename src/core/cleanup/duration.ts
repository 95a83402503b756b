import { UsageError, type InputKey } from '../../errors.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `2h`, `7d`, `1w`, `90s` (one number and one unit) as milliseconds; anything else is bad input. */
export function parseDuration(text: string, input: InputKey): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!match) throw new UsageError('not a duration (a whole number and s, m, h, d or w, e.g. 30m, 2h, 7d)', { input, value: text });
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
