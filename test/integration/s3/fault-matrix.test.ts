import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { processesMentioning, startEntry, type EntryRun } from '../../helpers/entry-run.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { waitFor } from '../../helpers/wait.js';
import { createBucket, incompleteUploads, listKeys, objectBytes, s3Client } from './helpers.js';

/**
 * `offsite s3` stopped from outside while it uploads and while it copies proved objects into place, through the
 * machine's node (the launcher path). Whatever the moment: the exit code is the documented one, nothing of the run
 * keeps running, every stored object is whole (the old version or the new one, never a mix), and the next run
 * finishes the work and leaves no staged copy or unfinished upload behind.
 */
const fx = useSandbox('s3-matrix');
const BUCKET = 'matrix-bucket';
const MiB = 1024 * 1024;
let s3: S3Client;

beforeAll(async () => {
  s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
});

type Fault = 'SIGINT to the group' | 'SIGTERM to the main pid' | 'stdout closed';
const FAULTS: Record<Fault, { fire: (run: EntryRun) => void; code: number }> = {
  'SIGINT to the group': { fire: (run) => run.signalGroup('SIGINT'), code: 130 },
  'SIGTERM to the main pid': { fire: (run) => run.child.kill('SIGTERM'), code: 130 },
  'stdout closed': { fire: (run) => run.child.stdout!.destroy(), code: 141 },
};

/** Version `v` of a small tree: a multipart-sized file and two small ones, all different per version. */
async function writeVersion(dir: string, v: number): Promise<Map<string, Buffer>> {
  const files = new Map([
    ['big.bin', pseudoRandom(6 * MiB + 3, 100 + v)],
    ['a.txt', Buffer.from(`a, version ${v}\n`)],
    ['sub/b.txt', Buffer.from(`b, version ${v}\n`.repeat(v + 1))],
  ]);
  await mkdir(join(dir, 'sub'), { recursive: true });
  for (const [rel, bytes] of files) await writeFile(join(dir, rel), bytes);
  return files;
}

const store = (source: string, prefix: string, extra: string[] = []) => ['s3', source, `s3://${BUCKET}/${prefix}/`, '--json', '--part-size', '5MB', '--multipart-threshold', '5MB', ...extra];

let cases = 0;
async function faultCase(phase: 'upload' | 'promote', fault: Fault): Promise<void> {
  const name = `case-${++cases}`;
  const source = join(fx.work, name);
  const old = await writeVersion(source, 1);
  // promote replaces objects: store version 1 first, so version 2 goes through staging and the copy into place.
  if (phase === 'promote') expect((await runCli('offsite', store(source, name), { env: fx.env })).code).toBe(0);
  const fresh = await writeVersion(source, 2);

  let fired = false;
  const run = startEntry('system-node', 'offsite', store(source, name, ['--bwlimit', '2M']), fx.env, {
    event: (event, self) => {
      const at = phase === 'upload' ? event.type === 'progress' && event.phase === 'upload' && (event.bytes ?? 0) > 0 : event.type === 'phase-start' && event.phase === 'promote';
      if (fired || !at) return;
      fired = true;
      FAULTS[fault].fire(self);
    },
  });
  const { code } = await run.exited;
  await waitFor(() => processesMentioning(source).length === 0, 'every process of the run to end', { timeoutMs: 120_000 });
  expect(fired, `phase ${phase} never came: ${run.stderr()}`).toBe(true);
  // The copy into place is the last step that writes: a fault there may find it done.
  expect(phase === 'promote' ? [FAULTS[fault].code, 0] : [FAULTS[fault].code], `exit ${code}: ${run.stderr()}`).toContain(code);
  expect(run.stderr()).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);

  // Every object under the prefix is whole: one of the two versions, byte for byte.
  for (const [rel, bytes] of fresh) {
    const key = `${name}/${rel}`;
    if (!(await listKeys(s3, BUCKET, key)).includes(key)) continue; // not yet stored (upload phase)
    const stored = await objectBytes(s3, BUCKET, key);
    expect(stored.equals(bytes) || stored.equals(old.get(rel)!), `${key} is neither version`).toBe(true);
  }

  // The next run finishes the work and leaves nothing of the interrupted one behind.
  const again = await runCli('offsite', store(source, name), { env: fx.env });
  expect(again.code, again.stderr).toBe(0);
  for (const [rel, bytes] of fresh) expect((await objectBytes(s3, BUCKET, `${name}/${rel}`)).equals(bytes)).toBe(true);
  expect((await listKeys(s3, BUCKET, name)).filter((key) => !key.startsWith(`${name}/.offsite/`)).sort()).toEqual([...fresh.keys()].map((rel) => `${name}/${rel}`).sort());
  expect((await listKeys(s3, BUCKET)).filter((key) => key.includes('.offsite-staging/') && key.includes(name))).toEqual([]);
  expect((await incompleteUploads(s3, BUCKET)).filter((key) => key.includes(name))).toEqual([]);
}

describe.concurrent('offsite s3 stopped at upload and at promote, every way', () => {
  for (const phase of ['upload', 'promote'] as const) {
    for (const fault of Object.keys(FAULTS) as Fault[]) it(`${fault} during ${phase}`, () => faultCase(phase, fault));
  }
});
