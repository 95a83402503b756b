/**
 * A real terminal for tests: a tmux session running a shell script, read back screen by screen. Waits poll the
 * screen until a pattern shows (never fixed sleeps) and fail with the screen when it does not.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { shellQuote } from '../../src/ssh/quote.js';

const run = promisify(execFile);

export interface Terminal {
  screen(): Promise<string>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  keys(...keys: string[]): Promise<unknown>;
  /** The exit status the script wrote to `file` once the program ended. */
  exitCodeFrom(file: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function openTerminal(session: string, script: string, size = { columns: 200, rows: 60 }): Promise<Terminal> {
  // A tmux server per terminal (-L): tests in parallel never share one, so one closing cannot take another's down.
  const tmux = (args: string[]) => run('tmux', ['-L', session, ...args]);
  // A person at a terminal: the CI variable of the test run never reaches the program (it turns the wizard off).
  await tmux(['new-session', '-d', '-s', session, '-x', String(size.columns), '-y', String(size.rows), `env -u CI bash ${shellQuote(script)}; sleep 600`]);
  const screen = async (): Promise<string> => (await tmux(['capture-pane', '-t', session, '-p', '-J', '-S', '-200'])).stdout;
  return {
    screen,
    async waitFor(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = await screen();
        if (pattern.test(last)) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out waiting for ${pattern} on the terminal:\n${last}`);
    },
    keys: (...keys) => tmux(['send-keys', '-t', session, ...keys]),
    async exitCodeFrom(file, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = await readFile(file, 'utf8').catch(() => '');
        if (text.trim()) return text.trim();
        if (Date.now() > deadline) throw new Error(`the program never exited:\n${await screen()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: async () => void (await tmux(['kill-server']).catch(() => undefined)),
  };
}
