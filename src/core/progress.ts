import type { EventInput } from './events.js';

export interface ProgressMeterOptions {
  /** Minimum time between two `progress` events. */
  intervalMs?: number;
  /** The clock, in milliseconds; tests drive it by hand. */
  now?: () => number;
}

interface Sample {
  at: number;
  bytes: number;
}

/** The rate is measured over the last this-many milliseconds, so it follows a link that speeds up or slows down. */
const WINDOW_MS = 10_000;
/**
 * When the rate (and the ETA from it) is trusted: after at least 2 s of data, or once 5% of the total has moved in
 * at least half a second; and never from fewer than 3 samples. Earlier figures are noise: the first chunk arrives
 * after the connection is set up, so a rate from it is either far too low ("ETA 9h15m") or far too high.
 */
const STABLE_AFTER_MS = 2_000;
const STABLE_FRACTION = 0.05;
const STABLE_FRACTION_MIN_MS = 500;
const STABLE_MIN_SAMPLES = 3;

/**
 * Turns a growing byte count into throttled `progress` events with a smoothed rate and an ETA, so presenters and
 * JSON consumers get the same numbers. Rate and ETA are left out until they are stable (see above); the ETA is left
 * out when nothing is known to remain and in the final figure, since the step is then over.
 */
export class ProgressMeter {
  private readonly now: () => number;
  private readonly intervalMs: number;
  private lastEmit: number | undefined;
  private bytes = 0;
  /** The first data seen: the clock starts there, not when the meter was made (setting up is not throughput). */
  private first: Sample | undefined;
  /** Samples taken when events are emitted, oldest first, covering the window. */
  private samples: Sample[] = [];
  private taken = 0;

  constructor(
    private readonly phase: string,
    private readonly emit: (event: EventInput) => void,
    private total: number | undefined,
    options: ProgressMeterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 250;
  }

  setTotal(total: number | undefined): void {
    this.total = total;
  }

  /** Adds bytes; emits at most once per interval. */
  add(bytes: number): void {
    this.update(this.bytes + bytes);
  }

  /** Sets the absolute byte count (for tools that report totals, like rsync). */
  update(bytes: number): void {
    this.bytes = bytes;
    const now = this.now();
    this.first ??= { at: now, bytes };
    if (this.lastEmit === undefined || now - this.lastEmit >= this.intervalMs) {
      this.lastEmit = now;
      this.sample(now);
      this.emitNow(now, false);
    }
  }

  /** Always emits the final figure (with the rate over the whole step, and no ETA). */
  finish(): void {
    const now = this.now();
    this.first ??= { at: now, bytes: this.bytes };
    this.sample(now);
    this.emitNow(now, true);
  }

  get done(): number {
    return this.bytes;
  }

  private sample(now: number): void {
    this.taken++;
    this.samples.push({ at: now, bytes: this.bytes });
    // Keep one sample at or before the window's start, so the window is always full once there is enough data.
    while (this.samples.length > 2 && this.samples[1]!.at <= now - WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second (over the window; over the whole step for the final figure), or undefined while unstable. */
  private rate(now: number, final: boolean, total: number | undefined): number | undefined {
    const first = this.first;
    if (!first || this.taken < STABLE_MIN_SAMPLES) return undefined;
    const elapsed = now - first.at;
    const long = elapsed >= STABLE_AFTER_MS;
    const far = total !== undefined && total > 0 && this.bytes / total >= STABLE_FRACTION && elapsed >= STABLE_FRACTION_MIN_MS;
    if (!long && !far) return undefined;
    const from = final ? first : this.samples[0]!;
    const span = now - from.at;
    // A count that went back (an upload part sent again) says nothing sound about the rate.
    return span > 0 && this.bytes >= from.bytes ? ((this.bytes - from.bytes) / span) * 1000 : undefined;
  }

  private emitNow(now: number, final: boolean): void {
    const total = this.total !== undefined ? Math.max(this.total, this.bytes) : undefined;
    const rate = this.rate(now, final, total);
    const remaining = total !== undefined ? total - this.bytes : 0;
    const eta = !final && rate !== undefined && rate > 0 && remaining > 0 ? Math.ceil(remaining / rate) : undefined;
    this.emit({
      type: 'progress',
      phase: this.phase,
      bytes: this.bytes,
      ...(total !== undefined ? { total } : {}),
      ...(rate !== undefined ? { bytesPerSecond: Math.round(rate) } : {}),
      ...(eta !== undefined ? { etaSeconds: eta } : {}),
    });
  }
}
