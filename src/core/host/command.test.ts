import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../errors.js';
import { findExecutable, lastLine, runCommand, runForStatus } from './command.js';

describe('runCommand', () => {
  it('runs without a shell: a word with spaces or a $ stays one argument', async () => {
    const result = await runCommand(['printf', '%s|', 'two words', '$HOME']);
    expect(result).toEqual({ code: 0, stdout: 'two words|$HOME|', stderr: '' });
  });

  it('a missing program is 127, as a shell says it', async () => {
    expect(await runCommand(['offsite-no-such-program'])).toMatchObject({ code: 127, stderr: 'offsite-no-such-program: command not found' });
  });

  it('passes stdin (where secrets go) and streams stdout by line, the last unterminated one included', async () => {
    const lines: string[] = [];
    const result = await runCommand(['cat'], { stdin: 'one\ntwo\nthree', onStdoutLine: (line) => lines.push(line) });
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(result.stdout).toBe('one\ntwo\nthree');
  });

  it('keeps only the tail it is asked to keep', async () => {
    const result = await runCommand(['sh', '-c', 'printf "%0100d" 0; printf END >&2'], { keepBytes: 10 });
    expect(result.stdout).toBe('0000000000');
    expect(result.stderr).toBe('END');
  });

  it('an abort stops the program with the stop signal and rejects with the abort reason, after it ended', async () => {
    const controller = new AbortController();
    const running = runCommand(['sleep', '600'], { signal: controller.signal });
    controller.abort(new InterruptedError());
    await expect(running).rejects.toBeInstanceOf(InterruptedError);
    await expect(runCommand(['true'], { signal: controller.signal })).rejects.toBeInstanceOf(InterruptedError);
  });

  it('sets LC_ALL=C unless the locale is to be inherited', async () => {
    expect((await runCommand(['sh', '-c', 'echo $LC_ALL'], { env: { PATH: process.env.PATH, LC_ALL: 'de_DE.UTF-8' } })).stdout.trim()).toBe('C');
    expect((await runCommand(['sh', '-c', 'echo $LC_ALL'], { env: { PATH: process.env.PATH, LC_ALL: 'de_DE.UTF-8' }, locale: 'inherit' })).stdout.trim()).toBe('de_DE.UTF-8');
  });

  it('runForStatus keeps the exit status and the last complaint', async () => {
    expect(await runForStatus(['sh', '-c', 'echo noise; echo first >&2; echo "last words" >&2; exit 3'])).toEqual({ code: 3, lastError: 'last words' });
  });
});

describe('helpers', () => {
  it('lastLine is the last non-empty line, trimmed', () => {
    expect(lastLine('a\n  b  \n\n')).toBe('b');
    expect(lastLine('')).toBe('');
  });

  it('findExecutable searches PATH like a shell', async () => {
    expect(await findExecutable('sh')).toMatch(/\/sh$/);
    expect(await findExecutable('offsite-no-such-program')).toBeUndefined();
  });
});
