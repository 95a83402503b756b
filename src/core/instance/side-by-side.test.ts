import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { SideBySide } from './side-by-side.js';

/** A step that runs until its signal stops it, and says whether it was stopped. */
function untilStopped(log: string[], name: string) {
  return async (signal: AbortSignal): Promise<never> => {
    if (!signal.aborted) await once(signal, 'abort');
    log.push(`${name} stopped`);
    throw signal.reason as Error;
  };
}

describe('steps side by side', () => {
  it('stops the others at the first failure, waits for them, and throws that failure', async () => {
    const log: string[] = [];
    const steps = new SideBySide(new AbortController().signal);
    const waiting = steps.run(untilStopped(log, 'boot'));
    waiting.catch(() => undefined);
    const failing = steps.run(async () => {
      await Promise.resolve();
      throw new Error('VolumeLimitExceeded');
    });
    failing.catch(() => undefined);
    await expect(steps.settled()).rejects.toThrow('VolumeLimitExceeded');
    expect(log).toEqual(['boot stopped']);
  });

  it('waits for a step started while it waits', async () => {
    const log: string[] = [];
    const steps = new SideBySide(new AbortController().signal);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    steps.run(async () => {
      await Promise.resolve();
      // Started once the first step is under way, as a volume is once the launch has answered.
      steps.run(async () => {
        await gate;
        log.push('volume made');
      });
      log.push('instance launched');
    });
    const done = steps.settled().then(() => log.push('settled'));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await done;
    expect(log).toEqual(['instance launched', 'volume made', 'settled']);
  });

  it('hands an interrupt from outside to every step', async () => {
    const log: string[] = [];
    const outside = new AbortController();
    const steps = new SideBySide(outside.signal);
    steps.run(untilStopped(log, 'a')).catch(() => undefined);
    steps.run(untilStopped(log, 'b')).catch(() => undefined);
    outside.abort(new Error('interrupted'));
    await expect(steps.settled()).rejects.toThrow('interrupted');
    expect(log.sort()).toEqual(['a stopped', 'b stopped']);
  });

  it('does not start a step once the steps have stopped', async () => {
    const outside = new AbortController();
    outside.abort(new Error('interrupted'));
    const steps = new SideBySide(outside.signal);
    let started = false;
    const step = steps.run(async () => {
      started = true;
    });
    await expect(step).rejects.toThrow('interrupted');
    expect(started).toBe(false);
  });
});
