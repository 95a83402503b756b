/**
 * A terminal in memory for presenter tests: a writable stream that says it is a TTY and applies what is written
 * (text, newlines and the cursor and erase codes log-update uses) to a screen, so a test reads what an operator
 * would see rather than the raw bytes. Waits resolve when the screen matches, never after a fixed sleep.
 */
import { Writable } from 'node:stream';

export interface FakeTty {
  stream: NodeJS.WriteStream;
  /** The screen now: one string per row, trailing blanks trimmed. */
  screen(): string;
  /** Every screen seen, one per write. */
  frames(): string[];
  waitFor(test: RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
}

export function fakeTty(columns = 120): FakeTty {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const frames: string[] = [];
  const waiters = new Set<() => void>();

  const screen = (): string => rows.map((r) => r.join('').trimEnd()).join('\n').trimEnd();
  const line = (): string[] => {
    while (rows.length <= row) rows.push([]);
    return rows[row]!;
  };
  const csi = (params: string, final: string): void => {
    const n = params === '' ? 1 : Number(params.replace('?', '').split(';')[0]);
    switch (final) {
      case 'A':
        row = Math.max(0, row - n);
        return;
      case 'B':
        row += n;
        return;
      case 'C':
        col += n;
        return;
      case 'D':
        col = Math.max(0, col - n);
        return;
      case 'G':
        col = Math.max(0, n - 1);
        return;
      case 'K': {
        const current = line();
        if (params === '2') current.length = 0;
        else if (params === '1') current.fill(' ', 0, col);
        else current.length = Math.min(current.length, col);
        return;
      }
      case 'J':
        if (params === '' || params === '0') {
          line().length = Math.min(line().length, col);
          rows.length = row + 1;
        } else rows.length = 0;
        return;
      default:
        return; // colours, cursor show/hide
    }
  };
  const apply = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\u001b') {
        const match = /^\u001b\[([?0-9;]*)([A-Za-z])/.exec(text.slice(i));
        if (match) {
          csi(match[1]!, match[2]!);
          i += match[0].length - 1;
        }
        continue;
      }
      if (ch === '\n') {
        row++;
        col = 0;
        line();
      } else if (ch === '\r') col = 0;
      else {
        const current = line();
        while (current.length < col) current.push(' ');
        current[col++] = ch;
      }
    }
  };

  const stream = new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      apply(chunk.toString());
      frames.push(screen());
      for (const wake of [...waiters]) wake();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns, rows: 50 });

  return {
    stream,
    screen,
    frames: () => [...frames],
    waitFor(test, timeoutMs = 10_000) {
      const matches = (text: string): boolean => (typeof test === 'function' ? test(text) : test.test(text));
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const now = screen();
          if (!matches(now)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(now);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(test)} on the screen:\n${screen()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
