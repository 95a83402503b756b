/**
 * The product as a newcomer tries it: `offsite --sandbox` in a terminal, no AWS account and no second shell, to a
 * finished backup in the wizard; everything the sandbox made is gone when the wizard exits.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote } from '../../../src/ssh/quote.js';
import { isolatedEnv, repoRoot } from '../../helpers/cli.js';
import { openTerminal, type Terminal } from '../../helpers/terminal.js';
import { sandboxAvailable } from '../../sandbox/require.js';

const run = promisify(execFile);
let work: string;
let terminal: Terminal | undefined;

beforeAll(async () => {
  await run('tmux', ['-V']);
  await sandboxAvailable();
  work = await mkdtemp(join(tmpdir(), 'offsite-try-'));
});

afterAll(async () => {
  await terminal?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('offsite --sandbox in a terminal', () => {
  it('reaches a finished rsync backup in the wizard and removes the sandbox when it exits', async () => {
    const sandboxTmp = join(work, 'tmp');
    const exitFile = join(work, 'exit-code');
    const script = join(work, 'try.sh');
    const env: Record<string, string | undefined> = { ...isolatedEnv({}), TERM: 'xterm-256color', TMPDIR: sandboxTmp, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    delete env.CI; // a person at a terminal
    const exports = Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `export ${k}=${shellQuote(v!)}`)
      .join('\n');
    await writeFile(script, `${exports}\nmkdir -p "$TMPDIR"\ncd ${shellQuote(repoRoot)}\nbin/offsite.js --sandbox\necho $? > ${shellQuote(exitFile)}\n`);
    terminal = await openTerminal(`offsite-try-${process.pid}`, script);
    const { waitFor, keys, exitCodeFrom } = terminal;

    await waitFor(/What do you want to do\?/, 90_000);
    expect(await readdir(sandboxTmp)).not.toEqual([]);
    await keys('Down');
    await waitFor(/› Back up a directory to an EBS volume — rsync/);
    await keys('Enter');
    // The environment's account (no --profile, no --region): the command line stays as a script would write it.
    await waitFor(/Which AWS profile\?[\s\S]*› The default credentials/);
    await keys('Enter');
    await waitFor(/Which region\?/);
    await keys('Enter');
    await waitFor(/Which directory\?/);
    await keys('-l', join(repoRoot, 'fixtures', 'sample-tree'));
    await keys('Enter');
    await waitFor(/Which volume\?[\s\S]*› A new 1 GiB gp3 volume/);
    await keys('Enter');
    await waitFor(/The same backup from a script:/);
    await keys('Enter');
    await waitFor(/backup of .* is on vol-[0-9a-f]{17}[\s\S]*stopping the sandbox/, 120_000);
    expect(await exitCodeFrom(exitFile, 60_000)).toBe('0');
    expect(await readdir(sandboxTmp)).toEqual([]);
  }, 300_000);
});
