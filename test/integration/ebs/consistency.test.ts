import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { runCli } from '../../helpers/cli.js';
import { liveInstances, volumeTags } from '../../helpers/moto-state.js';
import { pseudoRandom } from '../../helpers/trees.js';

const run = promisify(execFile);

const fx = useSandbox('consistency');

type Event = { type: string; phase?: string; bytes?: number; message?: string; exitCode?: number; result?: { volumeId?: string; consistent?: boolean } };

/** A tree with one big file that `change` alters once the transfer is under way. */
async function changingRun(method: 'dd' | 'rsync', change: (file: string) => Promise<void>, extra: string[] = []) {
  const dir = await mkdtemp(join(fx.work, `${method}-`));
  const file = join(dir, 'growing.log');
  await writeFile(file, pseudoRandom(6 * 1024 * 1024, 7));
  const events: Event[] = [];
  let changed: Promise<void> | undefined;
  const result = await runCli('offsite', ['ebs', dir, '--method', method, '--json', '--bwlimit', '2M', ...extra], {
    env: fx.env,
    onLine: (line) => {
      const event = JSON.parse(line) as Event;
      events.push(event);
      if (!changed && event.type === 'progress' && event.phase === method && (event.bytes ?? 0) > 256 * 1024) changed = change(file);
    },
  });
  expect(changed, `the transfer never got going: ${result.stderr}`).toBeDefined();
  await changed;
  return { result, events };
}

describe('a file that changes while it is backed up', () => {
  it('dd: a file that shrinks under tar fails the run with exit 1, naming it, and nothing is kept', async () => {
    const { result, events } = await changingRun('dd', (file) => truncate(file, 1024 * 1024));
    expect(result.code, result.stderr).toBe(1);
    expect(events.at(-1)!.message).toMatch(/growing\.log changed while it was backed up/);
    expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
  });

  it('rsync: a file that grows during the copy fails the run with exit 1, naming it', async () => {
    const dir = await mkdtemp(join(fx.work, 'rsync-'));
    const file = join(dir, 'growing.log');
    await writeFile(file, pseudoRandom(6 * 1024 * 1024, 7));
    // A log being written to for as long as rsync runs: what rsync copies is already stale when it ends.
    let writer: NodeJS.Timeout | undefined;
    const events: Event[] = [];
    const result = await runCli('offsite', ['ebs', dir, '--method', 'rsync', '--json', '--bwlimit', '2M'], {
      env: fx.env,
      onLine: (line) => {
        const event = JSON.parse(line) as Event;
        events.push(event);
        if (event.type === 'phase-start' && event.phase === 'rsync') writer = setInterval(() => void appendFile(file, 'another line\n'), 50);
        if (event.type === 'phase-end' && event.phase === 'rsync') clearInterval(writer);
      },
    });
    clearInterval(writer);
    expect(writer, 'rsync never started').toBeDefined();
    expect(result.code, result.stderr).toBe(1);
    expect(events.at(-1)!.message).toMatch(/growing\.log changed while it was backed up/);
  });

  it('with --allow-changing-files the backup is kept, tagged inconsistent, never complete', async () => {
    const { result, events } = await changingRun('dd', (file) => truncate(file, 1024 * 1024), ['--allow-changing-files']);
    expect(result.code, result.stderr).toBe(0);
    const outcome = events.findLast((e) => e.type === 'result')!.result!;
    expect(outcome.consistent).toBe(false);
    const tags = await volumeTags(fx.sandbox.ec2(), outcome.volumeId!);
    expect(tags['offsite:state']).toBe('inconsistent');
    expect(events.some((e) => e.type === 'warning' && /growing\.log changed/.test(e.message ?? ''))).toBe(true);
  });
});

describe('names Node cannot spell', () => {
  it('dd and rsync carry a name that is not UTF-8 and one with an escape character; output shows them escaped', async () => {
    const dir = await mkdtemp(join(fx.work, 'names-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(Buffer.concat([Buffer.from(`${dir}/sub/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1\n');
    await writeFile(join(dir, 'sub', 'esc\u001b[31mred'), 'ansi\n');
    for (const method of ['dd', 'rsync'] as const) {
      const result = await runCli('offsite', ['ebs', dir, '--method', method, '--verbose'], { env: fx.env });
      expect(result.code, result.stderr).toBe(0);
      // eslint-disable-next-line no-control-regex
      expect(result.stderr).not.toMatch(/\u001b/);
      const volumeId = result.stdout.trim();
      const names = method === 'dd' ? await tarNames(fx.sandbox.volumeFile(volumeId)) : await mirrorNames(fx.sandbox.volumeFile(volumeId));
      expect(names, method).toEqual(expect.arrayContaining(['sub/caf\\351.txt', 'sub/esc\\033[31mred']));
    }
  });
});

/** GNU tar's escaped listing of the stream a dd backup left at the start of the volume. */
async function tarNames(file: string): Promise<string[]> {
  const { stdout } = await run('tar', ['--list', '--quoting-style=escape', '--file', file]);
  return stdout.split('\n').map((n) => n.replace(/^\.\//, ''));
}

async function mirrorNames(file: string): Promise<string[]> {
  const mnt = await mkdtemp(join(fx.work, 'mnt-'));
  await run('mount', ['-o', 'loop,ro', file, mnt]);
  try {
    const { stdout } = await run('sh', ['-c', 'cd "$1" && find . -type f | LC_ALL=C sed -n l | sed "s/\\$$//"', 'sh', mnt]);
    return stdout.split('\n').map((n) => n.replace(/^\.\//, ''));
  } finally {
    await run('umount', [mnt]);
  }
}
