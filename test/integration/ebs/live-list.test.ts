import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, repoRoot } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { liveInstances, volumeIds } from '../../helpers/moto-state.js';
import { openTerminal, type Terminal } from '../../helpers/terminal.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { shellQuote } from '../../../src/ssh/quote.js';

const run = promisify(execFile);
const session = `offsite-live-list-${process.pid}`;

const fixture = useSandbox('live-list');
let source: string;
let terminal: Terminal | undefined;

beforeAll(async () => {
  await run('tmux', ['-V']); // a missing tmux fails here, loudly
  source = join(fixture.work, 'source');
  await mkdir(source);
  for (let i = 0; i < 4; i++) await writeFile(join(source, `chunk-${i}.bin`), pseudoRandom(4 * 1024 * 1024, i + 1));
});

afterAll(async () => {
  await terminal?.close();
});

/** Runs `offsite ebs` (dd; throttled by default, so the transfer lasts) in a fresh tmux session; returns where its exit code goes. */
async function startBackup(name: string, flags = '--bwlimit 1M'): Promise<{ tty: Terminal; exitFile: string }> {
  await terminal?.close();
  const env = isolatedEnv(fixture.sandbox.env);
  delete env.CI; // a person at a terminal, not CI
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  env.TERM = 'xterm-256color';
  const exitFile = join(fixture.work, `${name}.exit-code`);
  const script = join(fixture.work, `${name}.sh`);
  const exports = Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `export ${k}=${shellQuote(v!)}`)
    .join('\n');
  const offsite = shellQuote(join(repoRoot, 'bin', 'offsite.js'));
  await writeFile(script, `${exports}\nunset CI\n${offsite} ebs ${shellQuote(source)} ${flags}\necho $? > ${shellQuote(exitFile)}\n`);
  terminal = await openTerminal(`${session}-${name}`, script);
  return { tty: terminal, exitFile };
}

/** The dd step is running and has moved data. */
const ddRunning = /with dd[^\n]*\n\s*› \d+(\.\d)? (KiB|MiB) \/ /;

describe('the live task list in a real terminal', () => {
  it('a backup that works: every step ✔, the kept volume\'s clean-up not needed, no progress line left', async () => {
    const { tty, exitFile } = await startBackup('ok', '');
    expect(await tty.exitCodeFrom(exitFile, 90_000)).toBe('0');
    const screen = await tty.screen();
    for (const step of [/✔ Measure /, /✔ Launch /, /✔ Create /, /✔ Attach /, /✔ Connect /, /✔ Find /, /✔ Write tar /, /✔ Check .* read back /, /✔ Detach /, /✔ Terminate i-/]) {
      expect(screen).toMatch(step);
    }
    expect(screen).toMatch(/↓ Delete the unfinished volume: not needed: vol-[0-9a-f]{17} kept/);
    expect(screen).not.toMatch(/[✖⊘›]|ETA/);
    expect(screen).toMatch(/^vol-[0-9a-f]{17}$/m);
  });

  it('a dropped SSH connection during dd: ✖ on that step, the clean-up steps done, nothing "not needed" that was', async () => {
    const before = await volumeIds(fixture.sandbox.ec2());
    const { tty, exitFile } = await startBackup('drop');

    // The dd step is running and has moved data: drop every SSH connection to the stand-in instance.
    await tty.waitFor(ddRunning, 90_000);
    await fixture.sandbox.sshd.dropConnections();

    expect(await tty.exitCodeFrom(exitFile, 90_000)).toBe('1');
    const screen = await tty.screen();
    expect(screen).toMatch(/✖ Write tar of .* with dd, reading it back as it goes: .*SSH connection/);
    expect(screen).not.toMatch(/✔ Write tar/);
    expect(screen).toMatch(/⊘ Check the image read back from the device \(O_DIRECT, SHA-256\): not run/);
    expect(screen).toMatch(/✔ Detach vol-[0-9a-f]+/);
    expect(screen).toMatch(/✔ Delete vol-[0-9a-f]+ \(backup incomplete\)/);
    expect(screen).toMatch(/✔ Terminate i-[0-9a-f]+/);
    expect(screen).not.toMatch(/not needed|ETA/);
    expect(screen).toMatch(/^offsite: .*SSH connection/m);
    expect(await liveInstances(fixture.sandbox.ec2())).toEqual([]);
    expect(await volumeIds(fixture.sandbox.ec2())).toEqual(before);
  });

  it('Ctrl-C during dd: that step interrupted (not failed, not done), the clean-up steps done', async () => {
    const before = await volumeIds(fixture.sandbox.ec2());
    const { tty, exitFile } = await startBackup('interrupt');
    await tty.waitFor(ddRunning, 90_000);
    await tty.keys('C-c');

    expect(await tty.exitCodeFrom(exitFile, 90_000)).toBe('130');
    const screen = await tty.screen();
    expect(screen).toMatch(/⊘ Write tar of .* with dd, reading it back as it goes: interrupted/);
    expect(screen).toMatch(/⊘ Check the image read back from the device \(O_DIRECT, SHA-256\): not run/);
    expect(screen).toMatch(/✔ Detach vol-[0-9a-f]+/);
    expect(screen).toMatch(/✔ Delete vol-[0-9a-f]+ \(backup incomplete\)/);
    expect(screen).toMatch(/✔ Terminate i-[0-9a-f]+/);
    expect(screen).not.toMatch(/not needed|ETA|✔ Write tar|✖/);
    expect(await liveInstances(fixture.sandbox.ec2())).toEqual([]);
    expect(await volumeIds(fixture.sandbox.ec2())).toEqual(before);
  });
});
