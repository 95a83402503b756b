import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveName, monthSet, nextInChain, parseBackupDeps, recordSuccess, restoreChain, slicesOf } from './chain.js';
import { addedPath, darCreateArgs, parseDarStats } from './dar.js';
import { mountsUnder, parseMounts } from './mounts.js';
import { DEFAULT_DAR } from './profile.js';
import { realRunner } from './runner.js';
import { InterruptedError } from '../../errors.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-chain-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const at = new Date(2026, 0, 5, 7, 9);

describe('the monthly dar chain', () => {
  it("names follow the original: <prefix><YYYY-MM-DDTHHMM>-FULL|-INC in <target>/YYYY-MM", () => {
    expect(monthSet('/b', at)).toBe('/b/2026-01');
    expect(archiveName('host-', at, 'full')).toBe('host-2026-01-05T0709-FULL');
    expect(archiveName('host-', at, 'incremental', 2)).toBe('host-2026-01-05T0709-2-INC');
  });

  it('FULL without latest_successful, then INC on it; a name taken this minute gets -2', async () => {
    const set = join(work, 'set-a');
    await mkdir(set);
    const runner = realRunner();
    const warnings: string[] = [];
    expect(await nextInChain(runner, set, 'h-', at, (m) => warnings.push(m))).toEqual({ kind: 'full', name: 'h-2026-01-05T0709-FULL' });
    await writeFile(join(set, 'h-2026-01-05T0709-FULL.1.dar'), '');
    for (const change of recordSuccess(set, { kind: 'full', name: 'h-2026-01-05T0709-FULL' })) await runner.change(change);
    expect(await nextInChain(runner, set, 'h-', at, (m) => warnings.push(m))).toEqual({ kind: 'incremental', name: 'h-2026-01-05T0709-INC', parent: 'h-2026-01-05T0709-FULL' });
    await writeFile(join(set, 'h-2026-01-05T0709-INC.1.dar'), '');
    expect((await nextInChain(runner, set, 'h-', at, (m) => warnings.push(m))).name).toBe('h-2026-01-05T0709-2-INC');
    expect(warnings).toEqual([]);
    expect(await readFile(join(set, 'latest_successful'), 'utf8')).toBe('h-2026-01-05T0709-FULL');
    expect(await readFile(join(set, 'backup_deps'), 'utf8')).toBe('h-2026-01-05T0709-FULL:\n');
  });

  it('latest_successful naming an archive that is gone starts a new FULL, with a warning', async () => {
    const set = join(work, 'set-b');
    await mkdir(set);
    await writeFile(join(set, 'latest_successful'), 'h-2026-01-01T0000-FULL\n');
    const warnings: string[] = [];
    expect(await nextInChain(realRunner(), set, 'h-', at, (m) => warnings.push(m))).toMatchObject({ kind: 'full' });
    expect(warnings[0]).toMatch(/names h-2026-01-01T0000-FULL, but h-2026-01-01T0000-FULL\.1\.dar is not in the set/);
  });

  it('backup_deps gives the restore chain, FULL first; a missing link is an error', () => {
    const deps = parseBackupDeps('a:b-FULL:\na:b-INC:a:b-FULL\nx-INC2-INC:a:b-INC\n');
    expect(restoreChain(deps, 'x-INC2-INC')).toEqual(['a:b-FULL', 'a:b-INC', 'x-INC2-INC']);
    expect(() => restoreChain(new Map([['y-INC', 'gone-FULL']]), 'y-INC')).toThrow(/does not list gone-FULL/);
  });

  it('slices are matched exactly (not the catalogue) and in numeric order', () => {
    expect(slicesOf(['n.10.dar', 'n.2.dar', 'n-catalogue.1.dar', 'n.1.dar', 'nn.1.dar', 'n.x.dar'], 'n')).toEqual(['n.1.dar', 'n.2.dar', 'n.10.dar']);
  });
});

describe('dar and mount helpers', () => {
  it("the original's dar options, with subdirs and the reference", () => {
    const args = darCreateArgs({ base: '/s/n', root: '/r', reference: '/s/p', subdirs: ['etc', 'var/lib'], dar: { ...DEFAULT_DAR, compression: 'none', noCompress: ['*.gz'] } });
    expect(args).toEqual(['dar', '-c', '/s/n', '-R', '/r', '-w', '-s', '1875000000', '-D', '-m', '150', '-Z', '*.gz', '-g', 'etc', '-g', 'var/lib', '-A', '/s/p', '-Q', '-vt']);
  });

  it('reads dar -vt lines and the final statistics', () => {
    expect(addedPath('Adding file to archive: /r/a b')).toBe('/r/a b');
    expect(addedPath('Resaving file without compression: /r/a')).toBeUndefined();
    expect(parseDarStats(' 12 inode(s) saved\n 0 inode(s) changed at the moment of the backup and could not be saved properly\n 3 inode(s) not saved (no inode/file change)\n 2 inode(s) recorded as deleted from reference backup\n')).toEqual({
      saved: 12,
      dirty: 0,
      unchanged: 3,
      deleted: 2,
    });
  });

  it('/proc/mounts escapes are decoded; mounts under a root come innermost first', () => {
    const mounts = parseMounts('/dev/a /x\\040y ext4 ro 0 0\n/dev/b /x\\040y/boot ext4 ro 0 0\n/dev/c /x\\040yz ext4 ro 0 0\n');
    expect(mountsUnder(mounts, '/x y')).toEqual(['/x y/boot', '/x y']);
  });
});

describe('the real runner', () => {
  it('a missing program is exit 127, not a crash', async () => {
    expect(await realRunner().exec({ argv: ['offsite-no-such-program'] })).toMatchObject({ code: 127 });
  });

  it('an abort stops the command and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = realRunner().exec({ argv: ['sleep', '30'] }, controller.signal);
    setTimeout(() => controller.abort(new InterruptedError()), 100);
    await expect(running).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(20_000); // sleep 30 would have run on
  });

  it('streams stdout lines', async () => {
    const lines: string[] = [];
    await realRunner().exec({ argv: ['printf', 'a\\nb\\nc'], onStdoutLine: (l) => lines.push(l) });
    expect(lines).toEqual(['a', 'b', 'c']);
  });
});
