import { UsageError } from '../errors.js';

/** "500K", "20M", "1.5G" (per second, powers of 1024) or plain bytes per second. */
export function parseBandwidth(value: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?)?\s*(?:\/s)?\s*$/i.exec(value);
  if (!match) throw new UsageError(`${flag}: '${value}' is not a rate like 500K, 20M or 1G (per second)`);
  const unit = (match[2] ?? '').toUpperCase()[0];
  const scale = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1;
  const bytes = Math.floor(Number(match[1]) * scale);
  if (bytes < 1024) throw new UsageError(`${flag}: '${value}' is below the minimum of 1K per second`);
  return bytes;
}

/** How long to hold back so that `bytes` sent since `startedAt` stay under `limit` bytes/s. */
export function throttleDelayMs(bytes: number, limit: number, startedAt: number, now = Date.now()): number {
  const due = startedAt + (bytes / limit) * 1000;
  return Math.max(0, due - now);
}
