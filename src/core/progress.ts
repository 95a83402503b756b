import type { EventInput } from './events.js';

/**
 * Turns a growing byte count into throttled `progress` events with rate and ETA,
 * so presenters and JSON consumers get the same numbers.
 */
export class ProgressMeter {
  private readonly started = Date.now();
  private lastEmit = 0;
  private bytes = 0;

  constructor(
    private readonly phase: string,
    private readonly emit: (event: EventInput) => void,
    private total: number | undefined,
    private readonly intervalMs = 250,
  ) {}

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
    const now = Date.now();
    if (now - this.lastEmit >= this.intervalMs) {
      this.lastEmit = now;
      this.emitNow(now);
    }
  }

  /** Always emits the final figure. */
  finish(): void {
    this.emitNow(Date.now());
  }

  get done(): number {
    return this.bytes;
  }

  private emitNow(now: number): void {
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.bytes / seconds : undefined;
    const total = this.total !== undefined ? Math.max(this.total, this.bytes) : undefined;
    const eta = rate && total !== undefined && rate > 0 ? Math.max(0, (total - this.bytes) / rate) : undefined;
    this.emit({
      type: 'progress',
      phase: this.phase,
      bytes: this.bytes,
      ...(total !== undefined ? { total } : {}),
      ...(rate !== undefined ? { bytesPerSecond: Math.round(rate) } : {}),
      ...(eta !== undefined ? { etaSeconds: Math.round(eta) } : {}),
    });
  }
}
