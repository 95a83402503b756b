import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { buildRestorePlans, parseSource } from './restore.js';

const VOLUME = 'vol-0123456789abcdef0';
let scratch: string;
let target: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'offsite-restore-plan-'));
  target = join(scratch, 'target');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('restore plans from what an operator types', () => {
  it('no source at all says what a source is', () => {
    expect(() => parseSource(target, undefined, {})).toThrow(/^say what to restore: --volume/);
  });

  it('two sources are refused', () => {
    expect(() => parseSource(target, undefined, { volume: VOLUME, archive: scratch })).toThrow('give one source: --volume, --snapshot, --archive or an s3:// URL');
    expect(() => parseSource('s3://bucket/p', target, { volume: VOLUME })).toThrow(/^give one source: an s3:\/\/ URL/);
  });

  it('the target typed twice (a source flag and two arguments) names the extra one', () => {
    expect(() => parseSource(target, 'other', { volume: VOLUME })).toThrow("unexpected argument 'other': with --volume give only TARGET");
  });

  it('a snapshot id with a typo is refused; surrounding blanks are not', () => {
    expect(() => parseSource(target, undefined, { snapshot: 'snap-123' })).toThrow(/^--snapshot: 'snap-123' is not a snapshot id/);
    expect(parseSource(target, undefined, { snapshot: ' snap-0123456789abcdef0 ' }).source).toEqual({ kind: 'snapshot', snapshotId: 'snap-0123456789abcdef0' });
  });

  it('a volume id with a typo is a usage error', () => {
    expect(() => parseSource(target, undefined, { volume: 'vol-xyz' })).toThrow(UsageError);
  });

  it('--as-of belongs to --archive', () => {
    expect(() => parseSource(target, undefined, { volume: VOLUME, asOf: '2026-01-01' })).toThrow('--as-of applies to --archive only');
  });

  it('an empty or missing target is refused', () => {
    expect(() => parseSource('  ', undefined, { volume: VOLUME })).toThrow('TARGET is empty');
    expect(() => parseSource(undefined, undefined, { volume: VOLUME })).toThrow('missing TARGET: the directory to restore into');
    expect(() => parseSource('s3://bucket/p', undefined, {})).toThrow('missing TARGET: offsite restore s3://bucket/prefix TARGET');
  });

  it('--list takes nothing else', async () => {
    await expect(buildRestorePlans(target, undefined, { list: true })).rejects.toThrow('--list takes no source or target');
    await expect(buildRestorePlans(undefined, undefined, { list: true, volume: VOLUME })).rejects.toThrow('--list takes no source or target');
    await expect(buildRestorePlans(undefined, undefined, { list: true })).resolves.toEqual({ kind: 'list' });
  });

  it('a target that already holds files is refused without --overwrite', async () => {
    const full = join(scratch, 'full');
    await mkdir(full, { recursive: true });
    await writeFile(join(full, 'keep'), 'x');
    await expect(buildRestorePlans('s3://bucket/prefix', full, {})).rejects.toBeInstanceOf(UsageError);
    await expect(buildRestorePlans('s3://bucket/prefix', full, { overwrite: true })).resolves.toMatchObject({ kind: 's3', plan: { target: full, overwrite: true } });
  });

  it('an include that climbs out of the backup is refused', async () => {
    await expect(buildRestorePlans('s3://bucket/prefix', target, { include: ['etc/../../root'] })).rejects.toBeInstanceOf(UsageError);
  });

  it('flags of other sources are refused: --force for S3, --force and --passphrase-file for an archive', async () => {
    await expect(buildRestorePlans('s3://bucket/prefix', target, { force: true })).rejects.toThrow('--force applies to EBS volumes and snapshots, not to S3');
    await expect(buildRestorePlans(target, undefined, { archive: scratch, force: true })).rejects.toThrow('--force does not apply to --archive');
    await expect(buildRestorePlans(target, undefined, { archive: scratch, passphraseFile: '/etc/hostname' })).rejects.toThrow('--passphrase-file does not apply to --archive');
  });

  it('an archive restore up to a day that is not a date is refused', async () => {
    await expect(buildRestorePlans(target, undefined, { archive: scratch, asOf: 'yesterday' })).rejects.toBeInstanceOf(UsageError);
    const plan = await buildRestorePlans(target, undefined, { archive: scratch, asOf: '2026-01-31', include: ['./etc/'] });
    expect(plan).toMatchObject({ kind: 'archive', plan: { setDir: scratch, target, include: ['etc'], dryRun: false } });
  });
});
