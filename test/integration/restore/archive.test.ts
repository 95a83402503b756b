import { appendFile, mkdir, mkdtemp, open, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBackupDeps } from '../../../src/core/archive/chain.js';
import { chooseEnd, parseAsOf } from '../../../src/core/restore/archive.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { describeEveryKind, describedDifferences, makeEveryKindTree } from './every-kind.js';

const MiB = 1024 * 1024;
let work: string;
let source: string;
let set: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-restore-dar-'));
  source = join(work, 'source');
  await mkdir(source);
  await makeEveryKindTree(source, { sparseBytes: 64 * MiB, specials: true, nonUtf8: true, hardLinks: true, newlineName: true });
  env = isolatedEnv({ OFFSITE_STATE_DIR: join(work, 'state') });
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function archive(): Promise<void> {
  const profile = join(work, 'profile.ini');
  await mkdir(join(work, 'archives'), { recursive: true });
  await writeFile(profile, `[backup]\nsource_type = none\nsource_root = ${source}\ntarget = ${join(work, 'archives')}\narchive_prefix = t-\n`);
  const run = await runCli('offsite', ['archive', profile, '--json'], { env, timeoutMs: 300_000 });
  expect(run.code, run.stdout.slice(-2000) + run.stderr).toBe(0);
  const sets = await readdir(join(work, 'archives'));
  expect(sets).toHaveLength(1);
  set = join(work, 'archives', sets[0]!);
}

const restore = (args: string[]) => runCli('offsite', ['restore', ...args], { env, timeoutMs: 300_000 });

describe('offsite restore --archive DIR TARGET', () => {
  it('tests then extracts the chain, FULL then INC, and gets back the tree as it was at the INC', async () => {
    await archive();
    // Between the two archives: a change, an addition and a deletion the INC must carry.
    await appendFile(join(source, 'dir', 'nested', 'deep.bin'), 'more\n');
    await writeFile(join(source, 'added later'), 'new\n');
    await unlink(join(source, 'private'));
    await archive();
    const expected = await describeEveryKind(source);
    const target = join(work, 'restored');
    const run = await restore(['--archive', set, target, '--json']);
    expect(run.code, run.stdout.slice(-2000)).toBe(0);
    const result = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; result?: Record<string, unknown> }).find((e) => e.type === 'result')!.result!;
    expect(result).toMatchObject({ method: 'dar', dryRun: false });
    expect(result.proof).toMatch(/dar -t of 2 archive\(s\) \(t-.*-FULL, t-.*-INC\)/);
    expect(describedDifferences(expected, await describeEveryKind(target))).toEqual([]);
  });

  it('--dry-run tests the chain and names the archives it would extract', async () => {
    const target = join(work, 'dry');
    const run = await restore(['--archive', set, target, '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/-FULL$/), expect.stringMatching(/-INC$/)]);
    expect((await readdir(work)).includes('dry')).toBe(false);
  });

  it('--as-of picks the newest archive at or before the date; older than the set is a usage error', async () => {
    const deps = parseBackupDeps('h-2026-01-05T0709-FULL:\nh-2026-01-06T0100-INC:h-2026-01-05T0709-FULL\nh-2026-01-07T0100-INC:h-2026-01-06T0100-INC\n');
    expect(chooseEnd(deps, 'h-2026-01-07T0100-INC', undefined, 'set')).toBe('h-2026-01-07T0100-INC');
    expect(chooseEnd(deps, 'h-2026-01-07T0100-INC', parseAsOf('2026-01-06'), 'set')).toBe('h-2026-01-06T0100-INC');
    expect(() => chooseEnd(deps, undefined, parseAsOf('2026-01-04'), 'set')).toThrow(/holds no archive that old/);
    const run = await restore(['--archive', set, join(work, 'too-old'), '--as-of', '1999-01-01']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const bad = await restore(['--archive', set, join(work, 'bad-date'), '--as-of', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--as-of: 'yesterday-ish' is not a date/);
  });

  it('a damaged slice fails dar -t: exit 3, TARGET untouched', async () => {
    const inc = (await readdir(set)).find((f) => /-INC\.1\.dar$/.test(f))!;
    const handle = await open(join(set, inc), 'r+');
    const { size } = await handle.stat();
    await handle.write(Buffer.alloc(64, 0x5a), 0, 64, Math.floor(size / 2));
    await handle.close();
    const target = join(work, 'corrupt-target');
    await mkdir(target);
    const run = await restore(['--archive', set, target]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/fails dar -t .*nothing was written into the target/);
    expect(await readdir(target)).toEqual([]);
    expect((await readdir(work)).filter((n) => n.includes('offsite-restore'))).toEqual([]);
  });
});
