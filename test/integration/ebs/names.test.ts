import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureDir } from '../../../src/core/ebs/source-dir.js';
import { repoRoot } from '../../helpers/cli.js';

const run = promisify(execFile);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-names-'));
});

afterAll(async () => {
  // GNU rm walks relative to each directory, so it removes the deep tree that rm() of Node cannot.
  if (work) await run('rm', ['-rf', work]);
});

/** A path over 4096 bytes can only be made one relative step at a time, as tar and rsync walk it. */
async function deepTree(root: string): Promise<void> {
  const name = 'd'.repeat(200);
  const script = `import os, sys\nos.chdir(sys.argv[1])\nfor _ in range(25):\n    os.mkdir('${name}')\n    os.chdir('${name}')\nopen('file', 'w').write('deep')\n`;
  await run('python3', ['-c', script, root]);
}

/** measureDir in a child process that runs as nobody, from the built code. */
async function measureAsNobody(root: string): Promise<string[]> {
  const module = pathToFileURL(join(repoRoot, 'dist/src/core/ebs/source-dir.js')).href;
  const script = `import(${JSON.stringify(module)}).then((m) => m.measureDir(process.argv[1])).then((r) => process.stdout.write(JSON.stringify(r.unreadable)))`;
  const { stdout } = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script, root]);
  return JSON.parse(stdout) as string[];
}

describe('measuring a tree with names Node cannot spell', () => {
  it('counts a file whose name is not UTF-8 instead of calling it unreadable', async () => {
    const root = await mkdtemp(join(work, 'latin1-'));
    await writeFile(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'bytes');
    await writeFile(join(root, 'esc\u001b[31m'), 'x');
    const measure = await measureDir(root);
    expect(measure.unreadable).toEqual([]);
    expect(measure.files).toBe(2);
    expect(measure.bytes).toBe(6);
  });

  it('leaves entries deeper than 4096 bytes to tar and rsync instead of refusing the backup', async () => {
    const root = await mkdtemp(join(work, 'deep-'));
    await deepTree(root);
    const measure = await measureDir(root);
    expect(measure.unreadable).toEqual([]);
    expect(measure.unmeasured).toBeGreaterThan(0);
    // tar itself carries it: the stream lists the deep file.
    const { stdout } = await run('sh', ['-c', 'tar --create --file=- --directory "$1" . | tar --list --file=- | grep -c "/file$"', 'sh', root], { maxBuffer: 1 << 24 });
    expect(stdout.trim()).toBe('1');
  });

  // Root reads everything: as root the walk runs as nobody (setpriv), which sees the entry as unreadable.
  it('names an unreadable entry escaped', async () => {
    const root = await mkdtemp(join(work, 'unreadable-'));
    await chmod(work, 0o755);
    await chmod(root, 0o755);
    await writeFile(join(root, 'bad\u001bname'), 'x', { mode: 0o000 });
    await mkdir(join(root, 'closed'), { mode: 0o000 });
    const unreadable = process.getuid?.() === 0 ? await measureAsNobody(root) : (await measureDir(root)).unreadable;
    expect(unreadable.sort()).toEqual(['bad\\ename', 'closed']);
  });
});
