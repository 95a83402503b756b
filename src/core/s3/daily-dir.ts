import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OffsiteError, UsageError } from '../../errors.js';
import { WEEKDAYS } from './cedar-config.js';

/** Calendar days are "YYYY-MM-DD" strings; arithmetic goes through UTC so DST never shifts a day. */
function parts(day: string): [number, number, number] {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!match || !date || date.getUTCDate() !== Number(match[3])) throw new UsageError(`'${day}' is not a date like 2026-03-14`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function checkDay(day: string, source: string): string {
  try {
    parts(day);
  } catch {
    throw new UsageError(`${source}: '${day}' is not a date like 2026-03-14`);
  }
  return day;
}

/** Today in local time, as Cedar's datetime.date.today(). */
export function localDay(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function shiftDay(day: string, days: number): string {
  const [y, m, d] = parts(day);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Cedar's DIR_TIME_FORMAT, %Y/%m/%d: the directory below staging_dir and the key prefix in S3. */
export function dayPath(day: string): string {
  return day.replace(/-/g, '/');
}

export function weekday(day: string): string {
  const [y, m, d] = parts(day);
  return WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]!;
}

export interface DailyDir {
  dir: string;
  /** "YYYY/MM/DD" */
  day: string;
  which: 'today' | 'yesterday' | 'tomorrow';
}

const exists = (path: string, directory = false) =>
  stat(path).then((info) => (directory ? info.isDirectory() : true), () => false);

/**
 * Cedar's _findCorrectDailyDir: with --full, today's directory only (it must have cback.stage; cback.amazons3 is
 * ignored); otherwise the first of today, yesterday, tomorrow that has cback.stage and no cback.amazons3.
 */
export async function findDailyDir(stagingRoot: string, today: string, full: boolean): Promise<DailyDir> {
  const candidates: Array<DailyDir['which']> = full ? ['today'] : ['today', 'yesterday', 'tomorrow'];
  for (const which of candidates) {
    const day = dayPath(shiftDay(today, which === 'today' ? 0 : which === 'yesterday' ? -1 : 1));
    const dir = join(stagingRoot, day);
    if (!(await exists(dir, true)) || !(await exists(join(dir, 'cback.stage')))) continue;
    if (!full && (await exists(join(dir, 'cback.amazons3')))) continue;
    return { dir, day, which };
  }
  throw new OffsiteError(
    full
      ? 'Unable to find staging directory to process (only tried today due to full option).'
      : 'Unable to find unused staging directory to process (tried today, yesterday, tomorrow).',
  );
}
