import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, s3Client } from '../s3/helpers.js';
import { PROGRESS_LEFT, runLive, type LiveRun } from './live-terminal.js';

const BUCKET = 'live-verify';
const fx = useSandbox('verify-live');
let source: string;
let run: LiveRun | undefined;

beforeAll(async () => {
  source = join(fx.work, 'source');
  await mkdir(source);
  for (let i = 0; i < 4; i++) await writeFile(join(source, `file-${i}.bin`), pseudoRandom(256 * 1024, i + 1));
  const s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
  s3.destroy();
  const stored = await runCli('offsite', ['s3', source, `s3://${BUCKET}/tree`, '--quiet'], { env: fx.env });
  expect(stored.code, stored.stderr).toBe(0);
});

afterAll(async () => {
  await run?.tty.close();
});

async function start(name: string): Promise<LiveRun> {
  await run?.tty.close();
  run = await runLive(`offsite-verify-live-${name}`, fx.work, fx.env, ['verify', source, '--bucket', `s3://${BUCKET}/tree`, '--all', '--download']);
  return run;
}

describe('offsite verify shows the live task list on a terminal', () => {
  it('every file matches: both steps ✔, the report after the list, nothing left drawing', async () => {
    const { tty, exitCode } = await start('ok');
    expect(await exitCode()).toBe('0');
    const screen = await tty.screen();
    expect(screen).toMatch(/✔ List .*source/);
    expect(screen).toMatch(/✔ Compare 4 files/);
    expect(screen).not.toMatch(/[✖⊘↓]/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(screen).toMatch(/^4 of 4 files compared with s3:\/\/live-verify\/tree\/.*4 match, 0 differ/m);
  });

  it('a file changed since it was stored: ✖ on the comparison, saying what differs; exit 3', async () => {
    await writeFile(join(source, 'file-2.bin'), pseudoRandom(256 * 1024, 99));
    const { tty, exitCode } = await start('differ');
    expect(await exitCode()).toBe('3');
    const screen = await tty.screen();
    expect(screen).toMatch(/✔ List .*source/);
    expect(screen).toMatch(/✖ Compare 4 files: 1 differ/);
    expect(screen).not.toMatch(/✔ Compare/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    expect(screen).toMatch(/file-2\.bin/);
  });
});
