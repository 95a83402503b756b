import { CreateMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { hostname } from 'node:os';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryDetail, parseLedger } from '../../../src/core/ledger/ledger.js';
import { runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, incompleteUploads, listKeys, objectBytes, parseEvents, resultOf, s3Client, type Event } from './helpers.js';

const BUCKET = 'resume-bucket';
const MiB = 1024 * 1024;
const SLOW = ['--part-size', '5MB', '--multipart-threshold', '5MB', '--concurrency', '1'];

const fx = useSandbox('s3-resume');
let s3: S3Client;
let source: string;

beforeAll(async () => {
  s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
  source = join(fx.work, 'source');
  await mkdir(source);
  await writeFile(join(source, 'big.bin'), pseudoRandom(12 * MiB + 5, 21)); // parts of 5 + 5 + 2 MiB
  await writeFile(join(source, 'small.txt'), 'small\n');
});

afterAll(async () => {
  s3?.destroy();
});

/** Starts a throttled store and sends `signal` once the first part of big.bin is stored. */
async function interrupted(signal: NodeJS.Signals): Promise<{ code: number | null; killedBy: NodeJS.Signals | null; events: Event[] }> {
  let fired = false;
  const result = await runCli('offsite', ['s3', source, `s3://${BUCKET}/data`, '--json', '--bwlimit', '2M', ...SLOW], {
    env: fx.env,
    onLine: (line, child) => {
      if (!fired && line.includes('stored part 1/3 of big.bin')) {
        fired = true;
        child.kill(signal);
      }
    },
  });
  expect(fired, result.stderr).toBe(true);
  return { code: result.code, killedBy: result.signal, events: parseEvents(result.stdout.split('\n').filter((l) => l.startsWith('{')).join('\n')) };
}

async function store(args: string[] = []): Promise<{ code: number | null; stderr: string; events: Event[] }> {
  const result = await runCli('offsite', ['s3', source, `s3://${BUCKET}/data`, '--json', ...SLOW, ...args], { env: fx.env });
  return { code: result.code, stderr: result.stderr, events: parseEvents(result.stdout) };
}

async function ledgerEntries() {
  const dir = join(fx.sandbox.env.OFFSITE_STATE_DIR!, 'runs');
  const entries = [];
  for (const name of await readdir(dir)) entries.push(...parseLedger(await readFile(join(dir, name), 'utf8')));
  return entries;
}

describe('resume', () => {
  it('a run killed mid-upload (kill -9) is continued by the next run through ListParts, not started over', async () => {
    const killed = await interrupted('SIGKILL');
    expect(killed.killedBy).toBe('SIGKILL');
    const leftover = await incompleteUploads(s3, BUCKET);
    expect(leftover).toHaveLength(1);
    // Nothing was at the key: the upload goes straight to it, and an incomplete upload is no object.
    expect(leftover[0]).toBe('data/big.bin');
    // Nothing half-written in the final place (small.txt, sent whole beside big.bin's parts, may be complete).
    expect(await listKeys(s3, BUCKET, 'data/')).not.toContain('data/big.bin');

    const resumed = await store();
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = resultOf(resumed.events);
    expect(result.resumedParts).toBeGreaterThanOrEqual(1);
    expect(result.uploadedBytes as number).toBeLessThanOrEqual(12 * MiB + 5 + 6 - 5 * MiB);
    expect(resumed.events.some((e) => e.type === 'resource-created' && e.kind === 'multipart-upload' && /^resumed: \d+ parts already stored/.test((e as { detail?: string }).detail ?? ''))).toBe(true);
    expect((await objectBytes(s3, BUCKET, 'data/big.bin')).equals(pseudoRandom(12 * MiB + 5, 21))).toBe(true);
    expect(await incompleteUploads(s3, BUCKET)).toEqual([]);
    expect(await listKeys(s3, BUCKET)).toEqual(['data/.offsite/tree.json', 'data/big.bin', 'data/small.txt']);
    // The killed run's ledger hands the upload over to the run that finished it.
    const entries = await ledgerEntries();
    const uploadId = entries.find((e) => e.kind === 'multipart-upload' && e.op === 'created')!.id;
    expect(entries.filter((e) => e.id === uploadId && e.op === 'released').map((e) => e.action).sort()).toEqual(['adopted', 'completed']);
  });

  it('Ctrl-C keeps the upload for later and says so; the stored copy is untouched until a new one verifies', async () => {
    await writeFile(join(source, 'big.bin'), pseudoRandom(12 * MiB + 5, 22));
    const stopped = await interrupted('SIGINT');
    expect(stopped.code).toBe(130);
    expect(stopped.events.at(-1)).toMatchObject({ type: 'error', exitCode: 130, message: 'interrupted' });
    const kept = stopped.events.find((e) => e.type === 'warning' && /kept for the next run: 1 incomplete multipart upload and the staged objects under s3:\/\/resume-bucket\/\.offsite-staging\//.test(e.message ?? ''));
    // The remedy travels as a key; the command line spells it as its flag.
    expect(kept).toMatchObject({ advice: { remedy: 'noResume' }, message: expect.stringMatching(/; run the same command again to resume, or add --no-resume to discard them$/) });
    expect(await incompleteUploads(s3, BUCKET)).toHaveLength(1);
    expect((await objectBytes(s3, BUCKET, 'data/big.bin')).equals(pseudoRandom(12 * MiB + 5, 21))).toBe(true);
  });

  it('an upload of a file that has changed since is aborted, not resumed', async () => {
    await writeFile(join(source, 'big.bin'), pseudoRandom(12 * MiB + 5, 23));
    const fresh = await store();
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(resultOf(fresh.events)).toMatchObject({ resumedParts: 0, uploaded: 1, unchanged: 1 });
    expect(fresh.events.some((e) => e.type === 'resource-released' && e.kind === 'multipart-upload' && e.action === 'deleted')).toBe(true);
    expect((await objectBytes(s3, BUCKET, 'data/big.bin')).equals(pseudoRandom(12 * MiB + 5, 23))).toBe(true);
    expect(await incompleteUploads(s3, BUCKET)).toEqual([]);
  });

  it('an upload asked for as a run was killed (its id never recorded) is found at its key and aborted by the next run', async () => {
    const session = entryDetail((await ledgerEntries()).find((e) => e.kind === 'multipart-upload' && e.op === 'created')!).session as string;
    await writeFile(join(source, 'big.bin'), pseudoRandom(12 * MiB + 5, 22));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'data/big.bin' }));
    // The ledger of a killed run (pid 2^22 + 1 is above the kernel's limit) that got no answer to its request.
    const runId = '20261130-010203-cafe01';
    const line = JSON.stringify({ time: new Date().toISOString(), runId, op: 'intent', kind: 'multipart-upload', clientToken: 'token-1', detail: JSON.stringify({ bucket: BUCKET, key: 'data/big.bin', session }), pid: 4194305, host: hostname() });
    await writeFile(join(fx.sandbox.env.OFFSITE_STATE_DIR!, 'runs', `${runId}.jsonl`), `${line}\n`);

    const next = await store();
    expect(next.code, next.stderr).toBe(0);
    expect((await objectBytes(s3, BUCKET, 'data/big.bin')).equals(pseudoRandom(12 * MiB + 5, 22))).toBe(true);
    expect(await incompleteUploads(s3, BUCKET)).toEqual([]);
    expect((await ledgerEntries()).filter((e) => e.runId === runId && e.op === 'released').map((e) => e.id)).toEqual(['pending:token-1']);
  });

  it('--no-resume discards what an interrupted run left and starts over', async () => {
    await writeFile(join(source, 'big.bin'), pseudoRandom(12 * MiB + 5, 24));
    expect((await interrupted('SIGINT')).code).toBe(130);
    const over = await store(['--no-resume']);
    expect(over.code, over.stderr).toBe(0);
    expect(resultOf(over.events)).toMatchObject({ resumedParts: 0, uploaded: 1 });
    expect((await objectBytes(s3, BUCKET, 'data/big.bin')).equals(pseudoRandom(12 * MiB + 5, 24))).toBe(true);
    expect(await incompleteUploads(s3, BUCKET)).toEqual([]);
    expect(await listKeys(s3, BUCKET)).toEqual(['data/.offsite/tree.json', 'data/big.bin', 'data/small.txt']);
  });
});
