import { describe, expect, it } from 'vitest';
import { ebsSummary } from '../../ui/ebs-result.js';
import { archiveTime, parseAsOf } from './archive.js';
import { checkRestorable, readBackupTags } from './backup-tags.js';
import { extractArgs, listArgs } from './ebs-dd.js';
import { pullArgs } from './ebs-rsync.js';
import { includes, unsafeKey } from './s3.js';
import { octalMode, parseMtime, parseTreeManifest, rcloneMtime } from './s3-tree-manifest.js';
import { normalizeIncludes } from './target.js';

const tags = (pairs: Record<string, string>) => Object.entries(pairs).map(([Key, Value]) => ({ Key, Value }));
const SHA = 'a'.repeat(64);
const complete = { 'offsite:method': 'dd', 'offsite:last-backup': '2026-11-30T10:00:00Z', 'offsite:dd-bytes': '10240', 'offsite:dd-sha256': SHA };

describe('what the tags vouch for', () => {
  it('a finished dd backup, with or without offsite:state=complete, is restorable', () => {
    expect(readBackupTags(tags(complete))).toMatchObject({ method: 'dd', ddBytes: 10240, ddSha256: SHA, doubts: [] });
    expect(readBackupTags(tags({ ...complete, 'offsite:state': 'complete' })).doubts).toEqual([]);
  });

  it('in-progress, inconsistent, unfinished or unprovable backups are refused without --force', () => {
    for (const [extra, doubt] of [
      [{ 'offsite:state': 'in-progress' }, /offsite:state is in-progress/],
      [{ 'offsite:state': 'inconsistent' }, /offsite:state is inconsistent/],
      [{ 'offsite:last-backup': '' }, /never finished/],
      [{ 'offsite:dd-sha256': 'nothex' }, /dd-sha256 missing or malformed/],
      [{ 'offsite:method': 'tape' }, /no offsite:method tag/],
    ] as const) {
      const backup = readBackupTags(tags({ ...complete, ...extra }));
      expect(() => checkRestorable('vol-1', backup, false)).toThrow(doubt);
    }
    expect(() => checkRestorable('vol-1', readBackupTags(tags({ ...complete, 'offsite:state': 'in-progress' })), true)).not.toThrow();
    // Even --force cannot restore a dd image whose length nobody recorded.
    expect(() => checkRestorable('vol-1', readBackupTags(tags({ ...complete, 'offsite:dd-bytes': '' })), true)).toThrow(/nothing says where the image ends/);
  });
});

describe('command lines', () => {
  it('tar extracts as root with numeric owners; members after --, so a leading dash is a name', () => {
    expect(extractArgs('/s', ['-odd', 'a b'], true)).toEqual(['--extract', '--file=-', '--numeric-owner', '--same-owner', '--preserve-permissions', '--acls', '--xattrs', '--xattrs-include=*', '--directory', '/s', '--', './-odd', './a b']);
    expect(extractArgs('/s', [], false)).not.toContain('--xattrs-include=*');
    expect(extractArgs('/s', [], false)).not.toContain('--same-owner');
    expect(listArgs([])).toEqual(['--list', '--file=-', '--quoting-style=escape']);
  });

  it('rsync pulls -aHAX --numeric-ids --sparse from the mount into staging; --include becomes a NUL list', () => {
    const args = pullArgs('/mnt/x', '/t/stage', { command: 'ssh -p 22', rsyncPath: 'sudo -n rsync' }, ['etc']);
    expect(args).toEqual(['--rsync-path=sudo -n rsync', '-aHAX', '--numeric-ids', '--sparse', '--exclude=/lost+found', '--recursive', '--from0', '--files-from=-', '--rsh', 'ssh -p 22', 'offsite-instance:/mnt/x/', '/t/stage/']);
  });

  it('--include paths are cleaned; .. is refused', () => {
    expect(normalizeIncludes(['./a//b/', '/etc'])).toEqual(['a/b', 'etc']);
    expect(() => normalizeIncludes(['a/../../b'])).toThrow(/without '\.\.'/);
    expect(includes(['a/b'])('a/b/c')).toBe(true);
    expect(includes(['a/b'])('a/bc')).toBe(false);
    // S3 keys are arbitrary: one that climbs out of the prefix is never written.
    expect(['../x', 'a/../../x', 'a//b', './a', 'ok/name'].map(unsafeKey)).toEqual([true, true, true, true, false]);
  });
});

describe('the S3 tree metadata', () => {
  it("mtime in rclone's format, mode in octal", () => {
    expect(rcloneMtime(1_700_000_000_123_456_789n)).toBe('1700000000.123456789');
    expect(rcloneMtime(5n)).toBe('0.000000005');
    expect(parseMtime('1700000000.5')).toEqual({ seconds: 1700000000, nanoseconds: 500_000_000 });
    expect(parseMtime('1700000000')).toEqual({ seconds: 1700000000, nanoseconds: 0 });
    expect(parseMtime('yesterday')).toBeUndefined();
    expect(octalMode(0o100644)).toBe('0644');
    expect(octalMode(0o42755)).toBe('2755');
  });

  it('a manifest that is not offsite\'s, or climbs out with .., is one clear error', () => {
    expect(() => parseTreeManifest('{', 'm')).toThrow(/m is not JSON/);
    expect(() => parseTreeManifest('{"version":2}', 'm')).toThrow(/not an offsite tree manifest/);
    expect(() => parseTreeManifest(JSON.stringify({ version: 1, createdBy: 'offsite', time: '', entries: [{ path: '../x', type: 'file', mode: '0644', mtime: '1' }] }), 'm')).toThrow(/malformed entry/);
  });
});

describe('the dar chain by date', () => {
  it('reads the minute in the name and the end of a given day', () => {
    expect(archiveTime('h-2026-01-05T0709-2-INC')).toEqual(new Date(2026, 0, 5, 7, 9));
    expect(parseAsOf('2026-01-05')).toEqual(new Date(2026, 0, 5, 23, 59, 59, 999));
    expect(() => parseAsOf('soon')).toThrow(/not a date/);
  });
});

describe('offsite ebs points at offsite restore', () => {
  it('the summary names the restore command for the volume, and the snapshot when there is one', () => {
    const result = { volumeId: 'vol-0123456789abcdef0', createdVolume: true, method: 'dd' as const, instanceId: 'i-1', availabilityZone: 'us-east-1a', bytesTransferred: 1, consistent: true, elapsedMs: 1 };
    expect(ebsSummary('/srv', result)[1]).toBe('restore: offsite restore --volume vol-0123456789abcdef0 TARGET');
    expect(ebsSummary('/srv', { ...result, snapshotId: 'snap-0123456789abcdef0' })[1]).toBe(
      'restore: offsite restore --volume vol-0123456789abcdef0 TARGET  (or the point in time: offsite restore --snapshot snap-0123456789abcdef0 TARGET)',
    );
  });
});
