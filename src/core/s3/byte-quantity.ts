import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/**
 * A size as Cedar Backup writes it: plain bytes ("1048576") or a number and a unit ("2.5 GB", "600 MB", "10KB").
 * Cedar's units are binary (1 KB = 1024 bytes), and so are ours; "GiB" is accepted as a synonym of "GB".
 */
export function parseByteQuantity(value: string, source: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([KMGT]?)(I?B)?\s*$/i.exec(value);
  if (!match) throw new UsageError(`${source}: '${value}' is not a size like 2.5 GB, 600 MB or a number of bytes`);
  const unit = match[2] ? `${match[2].toUpperCase()}B` : match[3] ? 'B' : '';
  return Math.floor(Number(match[1]) * UNITS[unit]!);
}
