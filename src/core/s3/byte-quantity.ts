import { UsageError } from '../../errors.js';

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

const CEDAR_UNITS: Record<string, number> = { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/**
 * A size exactly as Cedar Backup reads it (readByteQuantity): a number that Python's float() takes, optionally
 * followed by KB, MB or GB in capitals (binary units); anything else ("10 kb", "1 TB", "2 GiB") Cedar refuses, and
 * so do we, rather than store a day Cedar itself would not have.
 */
export function parseCedarByteQuantity(value: string, source: string): number {
  const data = value.trim();
  const unit = Object.keys(CEDAR_UNITS).find((u) => data.endsWith(u));
  const quantity = (unit ? data.slice(0, data.lastIndexOf(unit)) : data).trim();
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(quantity)) {
    throw new UsageError(`${source}: '${value}' is not a size Cedar Backup accepts (a number of bytes, or a number followed by KB, MB or GB in capitals)`);
  }
  return Math.floor(Number(quantity) * (unit ? CEDAR_UNITS[unit]! : 1));
}
