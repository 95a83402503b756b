/**
 * Verify's local half at scale: listing a 100 000-file tree, drawing a uniform sample of 100 and hashing it,
 * through the same code `offsite verify` runs (compareTree: concurrent listing, reservoir sample, hashing),
 * against a shell baseline doing the same job (`find | shuf -n 100 | xargs sha256sum`).
 * `benchVerify(say)` is what `npm run bench` calls; `node dist/scripts/bench-verify.js` runs it alone.
 * Timings are with a warm page cache (dropping caches would disturb everyone else on a shared machine).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { compareTree, type FileChecker } from '../src/core/verify/compare-tree.js';
import { hashFile } from '../src/core/checksums/file-hash.js';
import type { FileVerdict } from '../src/core/verify/plan.js';
import { pseudoRandom } from '../test/helpers/trees.js';

const run = promisify(execFile);

export interface VerifyBenchResult {
  files: number;
  forks: number;
  listMs: number;
  totalMs: number;
  hashedBytes: number;
}

/** 100 000 files of 1–4 KiB in 1 000 directories, three levels deep. */
async function makeTree(root: string, files: number): Promise<void> {
  const perDir = 100;
  const limit = pLimit(64);
  const writes: Promise<void>[] = [];
  for (let d = 0; d < files / perDir; d++) {
    const dir = join(root, `a${d % 10}`, `b${Math.floor(d / 10) % 10}`, `c${Math.floor(d / 100)}`);
    writes.push(
      limit(async () => {
        await mkdir(dir, { recursive: true });
        for (let f = 0; f < perDir; f++) await writeFile(join(dir, `file-${f}.bin`), pseudoRandom(1024 + ((d * perDir + f) % 3072), d * perDir + f + 1));
      }),
    );
  }
  await Promise.all(writes);
}

/** The verify pipeline with a local-only checker: every sampled file is read and hashed (SHA-256). */
async function sampleAndHash(root: string, forks: number, seed: string): Promise<VerifyBenchResult> {
  const started = Date.now();
  let listMs = 0;
  let hashedBytes = 0;
  const limit = pLimit(forks);
  const pending: Promise<FileVerdict>[] = [];
  const checker: FileChecker = {
    add: (path) =>
      void pending.push(
        limit(async () => {
          const hashed = await hashFile(join(root, path), { whole: ['SHA256'] });
          hashedBytes += hashed.size;
          return { path, category: 'match', evidence: ['SHA-256'] };
        }),
      ),
    done: () => Promise.all(pending),
  };
  const comparison = await compareTree({
    root,
    sample: { mode: 'count', value: 100, seed },
    forks,
    signal: new AbortController().signal,
    emit: () => undefined,
    remote: Promise.resolve(new Set<string>()),
    checker,
    phase: async (id, _title, work) => {
      const phaseStarted = Date.now();
      const value = await work();
      if (id === 'list') listMs = Date.now() - phaseStarted;
      return value;
    },
  });
  if (comparison.sampled !== 100) throw new Error(`sampled ${comparison.sampled} files, not 100`);
  return { files: comparison.localFiles, forks, listMs, totalMs: Date.now() - started, hashedBytes };
}

export async function benchVerify(say: (line: string) => void, options: { files?: number } = {}): Promise<VerifyBenchResult[]> {
  const files = options.files ?? 100_000;
  const work = await mkdtemp(join(tmpdir(), 'offsite-bench-verify-'));
  try {
    const root = join(work, 'tree');
    let started = Date.now();
    await makeTree(root, files);
    say(`verify: made a tree of ${files} files in ${Date.now() - started} ms`);
    await sampleAndHash(root, 4, 'warm-up'); // the first pass reads the directories into the cache for everyone
    const results: VerifyBenchResult[] = [];
    for (const forks of [1, 4, 16]) {
      const result = await sampleAndHash(root, forks, `bench-${forks}`);
      results.push(result);
      say(`verify: sample 100 of ${result.files} files, --forks ${forks}: listing ${result.listMs} ms, listing + sampling + hashing ${result.totalMs} ms (${(result.files / (result.listMs / 1000)).toFixed(0)} files/s listed)`);
    }
    started = Date.now();
    await run('sh', ['-c', `find "$1" -type f | shuf -n 100 | xargs -d '\\n' sha256sum > /dev/null`, 'sh', root], { maxBuffer: 64 * 1024 * 1024 });
    const baselineMs = Date.now() - started;
    const best = Math.min(...results.map((r) => r.totalMs));
    say(`verify: baseline find | shuf -n 100 | xargs sha256sum: ${baselineMs} ms; offsite's best is ${(best / baselineMs).toFixed(2)}× its time`);
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = process.argv[2] ? Number(process.argv[2]) : undefined;
  await benchVerify((line) => void process.stdout.write(`${line}\n`), files ? { files } : {});
}
