import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../errors.js';
import { askTrueCryptPassword } from './verify-run.js';

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  return { input, output, shown: () => shown };
}

describe('the TrueCrypt password prompt', () => {
  it('answers what is typed, showing only the mask', async () => {
    const t = terminal();
    const answer = askTrueCryptPassword(t);
    t.input.write('correct horse\r');
    expect(await answer).toBe('correct horse');
    expect(t.shown()).toContain('TrueCrypt container password');
    expect(t.shown()).not.toContain('correct horse');
  });

  it('turns Ctrl-C at the prompt into an interrupt (exit 130), not a failure', async () => {
    const t = terminal();
    const answer = askTrueCryptPassword(t);
    t.input.write('\u0003');
    const error = await answer.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(exitCodeOf(error)).toBe(130);
  });
});
