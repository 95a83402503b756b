import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportLines } from '../../ui/verify-report.js';
import { backupHeaderMisplaced, parseSgdiskTable } from './disk-layout.js';
import { etagParts, localValue, planEvidence, remoteInfo, uniformParts, type RemoteInfo } from './evidence.js';
import { MultiDigest } from '../checksums/multi-digest.js';
import type { FileVerdict, VerifyReport } from './plan.js';
import { buildReport, countAssertions, exitCodeFor, countCategories } from './report.js';
import { SampleSelector, sliceOf } from './sample.js';
import { parseSample, parseSlice, sampleSpec } from '../../cli/plans/verify-sample.js';
import { parseTarListing, unescapeC } from './volume-remote.js';
import { makeTrickyTree, pseudoRandom } from '../../../test/helpers/trees.js';

const paths = Array.from({ length: 100 }, (_, i) => `dir-${i % 7}/file ${i}.bin`);

function sample(seed: string, n: number, order = paths): string[] {
  const selector = new SampleSelector({ mode: 'count', value: n, seed });
  for (const path of order) selector.offer(path);
  return selector.finish();
}

describe('sampling', () => {
  it('parses --sample, --slice and their combinations, naming the flag', () => {
    expect(parseSample('100')).toEqual({ mode: 'count', value: 100 });
    expect(parseSample('2.5%')).toEqual({ mode: 'percent', value: 2.5 });
    expect(parseSample('100%')).toEqual({ mode: 'all' });
    for (const bad of ['0', '-1', 'abc', '150%', '0%', '1e3']) expect(() => parseSample(bad)).toThrow(/^--sample: /);
    expect(parseSlice('2/5')).toEqual({ index: 2, total: 5 });
    for (const bad of ['0/3', '4/3', '1/0', 'x', '1/3/4']) expect(() => parseSlice(bad)).toThrow(/^--slice: /);
    expect(() => sampleSpec({ all: true, sample: '5' })).toThrow('--all and --sample exclude each other');
    expect(sampleSpec({ slice: '1/4', seed: 's' })).toEqual({ mode: 'all', slice: { index: 1, total: 4 }, seed: 's' });
    expect(sampleSpec({})).toMatchObject({ mode: 'count', value: 100, seed: expect.stringMatching(/^[0-9a-f]{12}$/) });
  });

  it('draws the same sample from the same seed in any listing order, and another from another seed', () => {
    const first = sample('seed', 10);
    expect(first).toHaveLength(10);
    expect(sample('seed', 10, [...paths].reverse())).toEqual(first);
    expect(sample('other', 10)).not.toEqual(first);
    expect(sample('seed', 1000)).toEqual([...paths].sort());
  });

  it('is uniform: over many seeds every file is chosen about equally often (chi-square)', () => {
    const counts = new Map(paths.map((p) => [p, 0]));
    const seeds = 600;
    for (let s = 0; s < seeds; s++) for (const p of sample(`seed-${s}`, 10)) counts.set(p, counts.get(p)! + 1);
    const expected = (seeds * 10) / paths.length;
    const chiSquare = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: the 99.9th percentile is about 148.
    expect(chiSquare).toBeLessThan(148);
  });

  it('slices partition the files: every file in exactly one of 1/t … t/t, whatever else is there', () => {
    for (const total of [1, 3, 7]) {
      const seen = paths.flatMap((p) => Array.from({ length: total }, (_, i) => i + 1).filter((index) => new SampleSelector({ mode: 'all', slice: { index, total }, seed: 'x' }).offer(p)).map(() => p));
      expect(seen.sort()).toEqual([...paths].sort());
    }
    expect(sliceOf('a/b', 5)).toBe(sliceOf('a/b', 5));
    // …and they are about the same size.
    const sizes = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) sizes[sliceOf(`photos/2024/IMG_${i}.jpg`, 10) - 1]++;
    for (const size of sizes) expect(Math.abs(size - 1000)).toBeLessThan(120);
  });

  it('a share keeps each file whose key is low enough: about P%, and a larger share contains a smaller one', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `f${i}`);
    const take = (p: number) => many.filter((path) => new SampleSelector({ mode: 'percent', value: p, seed: 's' }).offer(path));
    const five = take(5);
    const ten = take(10);
    expect(five.length).toBeGreaterThan(180);
    expect(five.length).toBeLessThan(320);
    expect(five.every((p) => ten.includes(p))).toBe(true);
  });
});

describe('checksums', () => {
  it('recomputes a multipart ETag and a composite checksum from the part digests', () => {
    const data = pseudoRandom(10_000, 4);
    const digest = new MultiDigest({ whole: [], parts: { sizes: [6000, 4000], algorithms: ['MD5', 'SHA256'] } });
    digest.update(data);
    const hashed = digest.result();
    const partMd5s = Buffer.concat([createHash('md5').update(data.subarray(0, 6000)).digest(), createHash('md5').update(data.subarray(6000)).digest()]);
    expect(localValue({ kind: 'multipart-etag', value: '', parts: 2 }, hashed)).toBe(`${createHash('md5').update(partMd5s).digest('hex')}-2`);
    const partShas = Buffer.concat([createHash('sha256').update(data.subarray(0, 6000)).digest(), createHash('sha256').update(data.subarray(6000)).digest()]);
    expect(localValue({ kind: 'composite', algorithm: 'SHA256', value: '', parts: 2 }, hashed)).toBe(createHash('sha256').update(partShas).digest('base64'));
  });

  it('infers part sizes only where a layout of equal parts and a shorter last one is possible', () => {
    expect(uniformParts(12, 3, 5)).toEqual([5, 5, 2]);
    expect(uniformParts(15, 3, 5)).toEqual([5, 5, 5]);
    expect(uniformParts(10, 3, 5)).toBeUndefined();
    expect(uniformParts(16, 3, 5)).toBeUndefined();
    expect(etagParts('0123456789abcdef0123456789abcdef-12')).toBe(12);
    expect(etagParts('0123456789abcdef0123456789abcdef')).toBe(1);
  });
});

describe('evidence', () => {
  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  const base: RemoteInfo = { key: 'k', size: 1, etag: md5, metadata: {}, sseCustomer: false };
  const kinds = (remote: RemoteInfo) => planEvidence(remote).items.map((i) => i.kind);

  it('puts what S3 computed first, our metadata last, and never takes an SSE-KMS or SSE-C ETag for an MD5', () => {
    expect(kinds({ ...base, checksum: { algorithm: 'CRC64NVME', value: 'AAAAAAAAAAA=', type: 'FULL_OBJECT' }, metadata: { sha256: 'a'.repeat(64) } })).toEqual(['checksum', 'etag-md5', 'meta-sha256']);
    expect(kinds({ ...base, sse: 'aws:kms' })).toEqual([]);
    expect(kinds({ ...base, sse: 'aws:kms:dsse' })).toEqual([]);
    expect(kinds({ ...base, sseCustomer: true })).toEqual([]);
    expect(kinds({ ...base, sse: 'AES256' })).toEqual(['etag-md5']);
    expect(kinds({ ...base, etag: `${md5}-3` })).toEqual(['multipart-etag']);
    expect(kinds({ ...base, etag: `${md5}-3`, sse: 'aws:kms' })).toEqual([]);
    expect(kinds({ ...base, etag: `${md5}-3`, checksum: { algorithm: 'SHA256', value: Buffer.alloc(32).toString('base64'), type: 'COMPOSITE' } })).toEqual(['composite', 'multipart-etag']);
    // Our metadata never replaces what S3 computed: the part-based evidence is checked as well.
    expect(kinds({ ...base, etag: `${md5}-3`, metadata: { sha256: 'b'.repeat(64) } })).toEqual(['multipart-etag', 'meta-sha256']);
    const composite = { algorithm: 'CRC32', value: 'AAAAAA==', type: 'COMPOSITE' } as const;
    expect(kinds({ ...base, etag: `${md5}-3`, checksum: composite, metadata: { sha256: 'b'.repeat(64) } })).toEqual(['composite', 'multipart-etag', 'meta-sha256']);
  });

  it('ignores a checksum of the wrong width (moto without awscrt stores a CRC32 under the CRC64NVME name)', () => {
    const plan = planEvidence({ ...base, checksum: { algorithm: 'CRC64NVME', value: 'rwg7LQ==', type: 'FULL_OBJECT' } });
    expect(plan.items.map((i) => i.kind)).toEqual(['etag-md5']);
    expect(plan.notes[0]).toMatch(/not 8 bytes: ignored/);
  });

  it('for offsite\'s client-side encryption, only the plaintext SHA-256 relates to the file', () => {
    const plan = planEvidence({ ...base, clientEncryption: 'gpg', metadata: { sha256: 'c'.repeat(64) }, checksum: { algorithm: 'CRC32', value: 'AAAAAA==', type: 'FULL_OBJECT' } });
    expect(plan).toMatchObject({ ciphertext: true, items: [{ kind: 'meta-sha256' }] });
  });

  it('reads composite checksums with or without the part-count suffix and type header', () => {
    const head = { ETag: `"${md5}-2"`, ContentLength: 10, ChecksumSHA256: `${Buffer.alloc(32).toString('base64')}-2`, $metadata: {} };
    expect(remoteInfo('k', head).checksum).toEqual({ algorithm: 'SHA256', value: Buffer.alloc(32).toString('base64'), type: 'COMPOSITE' });
    expect(remoteInfo('k', { ...head, ChecksumSHA256: Buffer.alloc(32).toString('base64') }).checksum?.type).toBe('COMPOSITE');
    expect(remoteInfo('k', { ...head, ChecksumCRC64NVME: 'AAAAAAAAAAA=', ChecksumSHA256: undefined }).checksum?.type).toBe('FULL_OBJECT');
    expect(remoteInfo('k', { ...head, Metadata: { 'offsite-encryption': 'gpg' } }).clientEncryption).toBe('gpg');
  });
});

describe('reading what is on a disk or volume', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'offsite-verify-units-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses GNU tar\'s escaped verbose listing of a tricky tree: names, sizes, hard links', async () => {
    const tree = join(dir, 'tree');
    await makeTrickyTree(tree, { sparseMiB: 2 });
    const listing = execFileSync('tar', ['--create', '--sparse', '--numeric-owner', '--file=-', '--directory', tree, '.'], { maxBuffer: 64 * 1024 * 1024 });
    const text = execFileSync('tar', ['-t', '-v', '--numeric-owner', '--quoting-style=escape', '-f', '-'], { input: listing, env: { ...process.env, LC_ALL: 'C' } }).toString();
    const entries = parseTarListing(text);
    expect(entries.get('ünïcødé ☃/naïve résumé.md')).toEqual({ size: 8 });
    expect(entries.get('sparse.img')).toEqual({ size: 2 * 1024 * 1024 });
    expect(entries.get(`quote's "and" $dollar`)).toEqual({ size: 21 });
    expect(entries.get('hard link to original') ?? entries.get('original')).toMatchObject({ size: 70_000 });
    expect([...entries.values()].filter((e) => e.linkTo)).toHaveLength(1);
    expect(entries.has('relative symlink')).toBe(false);
    expect(entries.size).toBe(11);
    expect(unescapeC('a\\nb\\\\c\\303\\274')).toBe('a\nb\\cü');
  });

  it('reads sgdisk\'s table and its complaint about a moved GPT backup header', () => {
    const image = join(dir, 'gpt.img');
    execFileSync('truncate', ['-s', '8M', image]);
    execFileSync('sgdisk', ['-o', '-n', '1:2048:+4M', image], { stdio: 'ignore' });
    expect(backupHeaderMisplaced(execFileSync('sgdisk', ['-v', image]).toString())).toBe(false);
    execFileSync('truncate', ['-s', '16M', image]);
    expect(parseSgdiskTable(execFileSync('sgdisk', ['-p', image]).toString())).toEqual({ sectorSize: 512, partitions: [{ number: 1, startSector: 2048, endSector: 10239 }] });
    expect(backupHeaderMisplaced(execFileSync('sgdisk', ['-v', image]).toString())).toBe(true);
  });
});

describe('the report', () => {
  const file = (path: string, category: FileVerdict['category'], side?: 'local' | 'remote'): FileVerdict => ({ path, category, evidence: category === 'match' ? ['x'] : [], ...(side ? { side } : {}) });

  it('counts assertions as s3export did, and chooses the exit code', () => {
    const files = [file('a', 'match'), file('b', 'match'), file('c', 'differ'), file('d', 'missing-remotely')];
    expect(countAssertions(files, false)).toEqual({ run: 7, succeeded: 5, failed: 2 });
    expect(countAssertions(files, true)).toEqual({ run: 6, succeeded: 5, failed: 1 });
    expect(exitCodeFor(countCategories([file('a', 'match')]), false)).toBe(0);
    expect(exitCodeFor(countCategories([file('a', 'missing-remotely')]), true)).toBe(0);
    expect(exitCodeFor(countCategories([file('a', 'missing-remotely')]), false)).toBe(3);
    expect(exitCodeFor(countCategories([file('a', 'unverified')]), false)).toBe(1);
    expect(exitCodeFor(countCategories([file('a', 'unverified'), file('b', 'unreadable', 'local')]), false)).toBe(3);
    expect(exitCodeFor(countCategories([file('a', 'match')]), false, [{ what: 'image', ok: false }])).toBe(3);
  });

  it('prints rclone\'s markers, or the original\'s words for s3export, and the summary line', () => {
    const report: VerifyReport = buildReport({
      source: '/dev/sdb',
      target: 's3://b/',
      root: '/mnt/b',
      sample: { mode: 'count', value: 100, seed: 's' },
      localFiles: 4,
      remoteFiles: 4,
      skippedLocal: 0,
      sampled: 4,
      files: [
        file('a', 'match'),
        { ...file('c', 'differ'), reason: 'CRC32 full-object checksum differs' },
        file('d', 'missing-remotely'),
        { ...file('e', 'unreadable', 'local'), reason: 'Input/output error (EIO)' },
        file('f', 'missing-locally'),
      ],
      checks: [],
      warnings: [],
      missingOk: false,
      started: Date.now(),
    });
    expect(reportLines(report, { program: 'offsite' }).slice(0, 4)).toEqual(['* c: CRC32 full-object checksum differs', '+ d', '! e [local]: Input/output error (EIO)', '- f']);
    const legacy = reportLines(report, { program: 's3export' });
    expect(legacy.slice(0, 2)).toEqual(['Integrity mismatch: Different hashes for c (CRC32 full-object checksum differs)', 'Integrity mismatch: Corresponding backup file does not exist for d']);
    expect(legacy.at(-1)).toBe('Assertions run: 7, succeeded: 3, failed: 4');
  });
});
