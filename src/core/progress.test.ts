import { describe, expect, it } from 'vitest';
import type { EventInput } from './events.js';
import { ProgressMeter } from './progress.js';

type Progress = Extract<EventInput, { type: 'progress' }>;

const MiB = 1024 * 1024;

/** A meter on a hand-driven clock, and the events it emitted. */
function meter(total: number | undefined) {
  let clock = 1_000_000;
  const events: Progress[] = [];
  const m = new ProgressMeter('dd', (event) => events.push(event as Progress), total, { now: () => clock });
  return {
    m,
    events,
    last: () => events[events.length - 1]!,
    /** Moves the clock on by `ms`, feeding `bytesPerSecond` in 250 ms ticks. */
    run(ms: number, bytesPerSecond: number) {
      for (let t = 0; t < ms; t += 250) {
        clock += 250;
        m.add((bytesPerSecond * 250) / 1000);
      }
    },
    tick(ms: number) {
      clock += ms;
    },
  };
}

describe('ProgressMeter', () => {
  it('shows no rate or ETA on the first ticks, however the first chunk looks', () => {
    const t = meter(8 * 1024 * MiB);
    t.tick(5_000); // setting up the connection is not throughput
    t.m.add(64 * 1024);
    expect(t.last()).toEqual({ type: 'progress', phase: 'dd', bytes: 64 * 1024, total: 8 * 1024 * MiB });
    t.run(1_000, 100 * MiB);
    for (const event of t.events) {
      expect(event.etaSeconds).toBeUndefined();
      expect(event.bytesPerSecond).toBeUndefined();
    }
  });

  it('gives a rate and a sane ETA once 2 s of data are in', () => {
    const t = meter(1024 * MiB);
    t.tick(5_000);
    t.m.add(1);
    t.run(1_750, 10 * MiB);
    expect(t.last().etaSeconds).toBeUndefined();
    t.run(250, 10 * MiB);
    expect(t.last().bytesPerSecond).toBe(10 * MiB);
    // ~1004 MiB remain at 10 MiB/s.
    expect(t.last().etaSeconds).toBe(101);
  });

  it('trusts the rate earlier once 5% of the total moved in half a second', () => {
    const t = meter(100 * MiB);
    t.m.add(1);
    t.run(500, 20 * MiB);
    expect(t.last().bytes / 100 / MiB).toBeGreaterThan(0.05);
    expect(t.last().etaSeconds).toBe(5);
  });

  it('follows a change of speed through its sliding window', () => {
    const t = meter(10 * 1024 * MiB);
    t.m.add(1);
    t.run(30_000, 100 * MiB);
    expect(t.last().bytesPerSecond).toBe(100 * MiB);
    t.run(10_000, 10 * MiB);
    // The window holds only the slow 10 s now: the whole-run average (~77 MiB/s) would promise far too much.
    expect(t.last().bytesPerSecond).toBe(10 * MiB);
  });

  it('never reports an ETA of zero: none when nothing is known to remain, and at least 1 s otherwise', () => {
    const t = meter(20 * MiB + 1024); // 1 KiB short of what 2 s bring
    t.m.add(1);
    t.run(2_000, 10 * MiB);
    expect(t.last().etaSeconds).toBe(1);
    t.run(1_000, 10 * MiB); // past the estimate: the total grows with the bytes
    expect(t.last().total).toBe(t.last().bytes);
    expect(t.last().etaSeconds).toBeUndefined();
  });

  it('finishes with the whole step’s rate and no ETA', () => {
    const t = meter(1024 * MiB);
    t.m.add(1);
    t.run(2_000, 10 * MiB);
    t.run(2_000, 30 * MiB);
    t.m.finish();
    expect(t.last().etaSeconds).toBeUndefined();
    expect(t.last().bytesPerSecond).toBe(20 * MiB);
  });

  it('without a total shows bytes and, once stable, a rate but never an ETA', () => {
    const t = meter(undefined);
    t.m.add(1);
    t.run(3_000, 10 * MiB);
    expect(t.last().bytesPerSecond).toBe(10 * MiB);
    expect(t.events.every((e) => e.etaSeconds === undefined && e.total === undefined)).toBe(true);
  });

  it('gives no rate while the count has gone back below the window\'s start (a part sent again)', () => {
    const t = meter(100 * MiB);
    t.m.add(1);
    t.run(3_000, 10 * MiB);
    t.tick(250);
    t.m.update(0);
    expect(t.last().bytesPerSecond).toBeUndefined();
    expect(t.last().etaSeconds).toBeUndefined();
  });

  it('throttles to one event per interval', () => {
    const t = meter(undefined);
    for (let i = 0; i < 100; i++) t.m.add(10);
    expect(t.events).toHaveLength(1);
    t.tick(250);
    t.m.add(10);
    expect(t.events).toHaveLength(2);
    expect(t.last().bytes).toBe(1010);
  });
});
