import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../errors.js';
import { walkTree, type TreeWalkOptions, type WalkEntry } from './tree-walk.js';

const run = promisify(execFile);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-walk-'));
  await chmod(work, 0o755);
});
// GNU rm walks relative to each directory, so it removes the deep tree that Node's rm() cannot.
afterAll(async () => void (work && (await run('rm', ['-rf', work]))));

const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: not UTF-8

async function tree(): Promise<string> {
  const root = await mkdtemp(join(work, 'tree-'));
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  await writeFile(join(root, 'a', 'b', 'f1'), 'one');
  await writeFile(join(root, 'a', 'f2'), 'two');
  await writeFile(join(root, 'top'), 'top');
  await mkdir(Buffer.concat([Buffer.from(`${root}/`), LATIN1]));
  await writeFile(Buffer.concat([Buffer.from(`${root}/`), LATIN1, Buffer.from('/'), LATIN1]), 'bytes');
  await symlink('a', join(root, 'link-to-dir'));
  await symlink('nowhere', join(root, 'dangling'));
  return root;
}

async function collect(root: string, options: TreeWalkOptions = {}, visit?: (entry: WalkEntry) => boolean | void): Promise<WalkEntry[]> {
  const seen: WalkEntry[] = [];
  await walkTree(root, (entry) => {
    seen.push(entry);
    return visit?.(entry);
  }, options);
  return seen;
}

const hex = (entries: WalkEntry[]): string[] => entries.map((e) => e.rel.toString('hex')).sort();

describe('walkTree', () => {
  it('gives names as their bytes, descends a directory whose name is not UTF-8 and reaches what it holds', async () => {
    const root = await tree();
    const seen = await collect(root);
    const odd = seen.find((e) => e.rel.equals(Buffer.concat([LATIN1, Buffer.from('/'), LATIN1])));
    expect(odd?.dirent.isFile()).toBe(true);
    expect((await lstat(odd!.path)).size).toBe(5);
    expect(odd!.relText).toBe('caf\uFFFD/caf\uFFFD');
    expect(seen.map((e) => e.relText).filter((p) => !p.includes('\uFFFD')).sort()).toEqual(['a', 'a/b', 'a/b/f1', 'a/f2', 'dangling', 'link-to-dir', 'top']);
  });

  it('never follows a symlink; stat reports what one points to, and a dangling one as an error on the entry', async () => {
    const root = await tree();
    const seen = await collect(root, { stat: 'stat' });
    const link = seen.find((e) => e.relText === 'link-to-dir')!;
    expect(link.dirent.isSymbolicLink()).toBe(true);
    expect(link.stats?.isDirectory()).toBe(true);
    expect(seen.some((e) => e.relText.startsWith('link-to-dir/'))).toBe(false);
    expect(seen.find((e) => e.relText === 'dangling')!.statError?.code).toBe('ENOENT');
    const lstats = await collect(root, { stat: 'lstat', bigint: true });
    expect(lstats.find((e) => e.relText === 'link-to-dir')!.stats?.isSymbolicLink()).toBe(true);
    expect(typeof lstats.find((e) => e.relText === 'top')!.stats?.size).toBe('bigint');
  });

  it('depth first: a directory\'s contents come right after it; `false` keeps the walk out', async () => {
    const root = await tree();
    const order = (await collect(root)).map((e) => e.relText);
    const a = order.indexOf('a');
    expect(order.slice(a + 1, a + 4).sort()).toEqual(['a/b', 'a/b/f1', 'a/f2']);
    const pruned = await collect(root, {}, (e) => (e.relText === 'a' ? false : undefined));
    expect(pruned.map((e) => e.relText)).not.toContain('a/f2');
    expect(pruned.map((e) => e.relText)).toContain('a');
  });

  it('lists the same entries with many listings in flight', async () => {
    const root = await tree();
    for (let i = 0; i < 30; i++) await mkdir(join(root, 'many', `d${i}`, 'e'), { recursive: true });
    expect(hex(await collect(root, { concurrency: 8 }))).toEqual(hex(await collect(root)));
  });

  it('a directory too deep to name (over 4096 bytes) is a listing error, or is reached with longPaths', async () => {
    const root = await mkdtemp(join(work, 'deep-'));
    const script = `import os, sys\nos.chdir(sys.argv[1])\nfor _ in range(25):\n    os.mkdir('${'d'.repeat(200)}')\n    os.chdir('${'d'.repeat(200)}')\nopen('file', 'w').write('deep')\n`;
    await run('python3', ['-c', script, root]);
    const failed: { rel: string; code: string | undefined }[] = [];
    await collect(root, { onDirError: (dir, error) => void failed.push({ rel: dir.relText, code: error.code }) });
    expect(failed).toHaveLength(1);
    expect(failed[0]!.code).toBe('ENAMETOOLONG');
    await expect(collect(root)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    // Its path is good while the visitor runs (the directory is held open until the walk leaves it).
    const sizes: number[] = [];
    await walkTree(root, async (e) => void (e.dirent.isFile() && sizes.push((await lstat(e.path)).size)), { longPaths: true, stat: 'lstat' });
    expect(sizes).toEqual([4]);
    const deep = (await collect(root, { longPaths: true })).filter((e) => e.dirent.isFile());
    expect(deep.map((e) => e.rel.length)).toEqual([25 * 201 + 4]);
  });

  // Root reads everything: as root the walk runs as nobody (setpriv), from the built code, to meet a closed directory.
  it('reports a directory it may not read, with its path, and goes on', async () => {
    const root = await mkdtemp(join(work, 'closed-'));
    await chmod(root, 0o755);
    await mkdir(join(root, 'open', 'closed'), { recursive: true, mode: 0o755 });
    await chmod(join(root, 'open', 'closed'), 0o000);
    await writeFile(join(root, 'open', 'file'), 'x', { mode: 0o644 });
    const walk = async (options: string): Promise<{ seen: string[]; errors: string[] }> => {
      const module = pathToFileURL(fileURLToPath(new URL('../../../dist/src/core/host/tree-walk.js', import.meta.url))).href;
      const script = `const { walkTree } = await import(${JSON.stringify(module)}); const seen = [], errors = [];
        await walkTree(process.argv[1], (e) => void seen.push(e.relText), { ...${options}, onDirError: (d, e) => void errors.push(d.relText + ' ' + e.code) });
        process.stdout.write(JSON.stringify({ seen: seen.sort(), errors }));`;
      const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
      const [command, ...args] = [...asNobody, process.execPath, '--input-type=module', '-e', script, root];
      return JSON.parse((await run(command!, args)).stdout) as { seen: string[]; errors: string[] };
    };
    for (const options of ['{}', '{ concurrency: 4 }']) {
      expect(await walk(options)).toEqual({ seen: ['open', 'open/closed', 'open/file'], errors: ['open/closed EACCES'] });
    }
  });

  it('stops when the signal is aborted, before the next directory is read', async () => {
    const root = await tree();
    const aborted = new AbortController();
    aborted.abort();
    await expect(collect(root, { signal: aborted.signal })).rejects.toBeInstanceOf(InterruptedError);
    for (const concurrency of [1, 4]) {
      const midway = new AbortController();
      const seen = collect(root, { signal: midway.signal, concurrency }, (e) => void (e.relText === 'a' && midway.abort()));
      await expect(seen).rejects.toBeInstanceOf(InterruptedError);
    }
  });
});
