import { appendFile, mkdir, mkdtemp, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changedBetween, regularFileStates } from './rsync-recheck.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'offsite-recheck-'));
  await mkdir(join(dir, 'sub'));
  for (const name of ['grows', 'same', 'touched-back', 'replaced', 'deleted', 'sub/deep']) await writeFile(join(dir, name), `${name}\n`);
  await writeFile(Buffer.from(`${dir}/sub/caf\u00e9-latin1-\xff`, 'latin1'), 'x');
  await symlink('same', join(dir, 'link'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the rsync change re-check', () => {
  it('lists the regular files under the tree, symlinks left out, names kept byte for byte', async () => {
    const names = [...(await regularFileStates(dir)).keys()].map((k) => Buffer.from(k, 'latin1'));
    expect(names.map((n) => n.toString('latin1')).sort()).toEqual(
      ['deleted', 'grows', 'replaced', 'same', 'sub/caf\u00e9-latin1-\xff', 'sub/deep', 'touched-back'].sort(),
    );
  });

  it('names a file that grew, one whose old time was put back, one replaced by another, not new or deleted ones', async () => {
    await utimes(join(dir, 'touched-back'), 1_000_000_000, 1_000_000_000); // a whole second: put back exactly below
    const before = await regularFileStates(dir);
    await appendFile(join(dir, 'sub/deep'), 'more\n');
    await writeFile(join(dir, 'touched-back'), 'TOUCHED-BACK\n'); // same size, same time: only the change time tells
    await utimes(join(dir, 'touched-back'), 1_000_000_000, 1_000_000_000);
    expect((await stat(join(dir, 'touched-back'), { bigint: true })).mtimeNs).toBe(1_000_000_000_000_000_000n);
    await writeFile(join(dir, 'replacement'), 'replaced\n');
    await rename(join(dir, 'replacement'), join(dir, 'replaced'));
    await rm(join(dir, 'deleted'));
    await writeFile(join(dir, 'new'), 'new\n');
    const changed = changedBetween(before, await regularFileStates(dir));
    expect(changed.map((name) => name.toString())).toEqual(['replaced', 'sub/deep', 'touched-back']);
  });

  it('finds nothing when nothing changed', async () => {
    expect(changedBetween(await regularFileStates(dir), await regularFileStates(dir))).toEqual([]);
  });
});
