import type { render } from 'ink-testing-library';
import { waitFor } from '../../helpers/wait.js';

type Rendered = ReturnType<typeof render>;

/** What a terminal sends for the keys the wizard hears. */
export const KEY = { up: '\u001B[A', down: '\u001B[B', enter: '\r', esc: '\u001B', tab: '\t', backspace: '\u007F' } as const;

const plain = (frame: string | undefined): string => (frame ?? '').replace(/\u001B\[[0-9;]*m/g, '');

/**
 * Drives a rendered Ink screen by conditions, never by time: each key is sent once the screen listens, and each
 * step waits for what the key should have changed (a frame, a callback), failing with the last frame if it never
 * comes.
 */
export function drive(ui: Rendered) {
  const frame = (): string => plain(ui.lastFrame());
  const until = async <T,>(condition: () => T | undefined | false | null, what: string): Promise<T> => {
    try {
      return await waitFor(condition, what, { timeoutMs: 30_000, intervalMs: 5 });
    } catch (error) {
      throw new Error(`${(error as Error).message}; the screen shows:\n${frame()}`);
    }
  };
  const matches = (pattern: string | RegExp): boolean => (typeof pattern === 'string' ? frame().includes(pattern) : pattern.test(frame()));
  return {
    frame,
    until,
    /** Resolves once the screen has subscribed to key presses (Ink attaches its listener in an effect). */
    ready: () => until(() => ui.stdin.listenerCount('readable') > 0, 'the screen to listen for keys'),
    press: (keys: string): void => void ui.stdin.write(keys),
    /**
     * The screen shows `pattern`, still does a turn of the event loop later, and so has subscribed to keys: Ink draws
     * a screen first and subscribes it in an effect just after.
     */
    settled: async (pattern: string | RegExp): Promise<void> => {
      await until(() => matches(pattern), `the screen to show ${String(pattern)}`);
      await new Promise((resolve) => setImmediate(resolve));
      await until(() => matches(pattern), `the screen to keep showing ${String(pattern)}`);
    },
    shows: (pattern: string | RegExp) => until(() => matches(pattern), `the screen to show ${String(pattern)}`),
    hides: (pattern: string | RegExp) => until(() => !matches(pattern), `the screen to stop showing ${String(pattern)}`),
    /** The one-line text input shows exactly `value`. */
    input: (value: string) => until(() => frame().split('\n').some((line) => line.trim() === `› ${value}`.trim()), `the input to read '${value}'`),
  };
}
