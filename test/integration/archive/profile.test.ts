import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProfile, DEFAULT_DAR } from '../../../src/core/archive/profile.js';
import { parseIni } from '../../../src/util/ini.js';
import { UsageError } from '../../../src/errors.js';
import { isolatedEnv, repoRoot, runCli } from '../../helpers/cli.js';

const profiles = join(repoRoot, 'fixtures', 'profiles');
const load = async (name: string) => parseProfile(await readFile(join(profiles, name), 'utf8'), basename(name));

describe('profiles that parse', () => {
  it("the original's example profile", async () => {
    const profile = await load('host-precise.ini');
    expect(profile.source).toEqual({
      type: 'lvm',
      volumeGroup: 'data',
      logicalVolume: 'os-xub-precise',
      snapshotName: 'os-xub-precise-backsnap',
      snapshotSize: '2G',
      mountOptions: [],
    });
    expect(profile.target).toBe('/scratch/root/os_backups/hostname/os-xub-precise');
    expect(profile.archivePrefix).toBe('hostname-os-xub-precise-');
    expect(profile.subdirs).toEqual([]);
    expect(profile.bindMounts).toEqual(['/boot']);
    expect(profile.rsync).toEqual({ targetDir: '/net/windle/backups/hostname/os-xub-precise', evenIfBackupFailed: false, delete: false });
    expect(profile.dar).toEqual(DEFAULT_DAR);
    expect(profile.lines['lvm.snapshot_size']).toBe(6);
  });

  it('a btrfs profile with dar overrides and shell-quoted subdirs', async () => {
    const profile = await load('btrfs-home.ini');
    expect(profile.source).toEqual({ type: 'btrfs', subvolume: '/srv/btrfs/home', snapshotDir: '/srv/btrfs/.snapshots', snapshotName: 'home-offsite' });
    expect(profile.subdirs).toEqual(['alice', 'bob smith']);
    expect(profile.dar).toMatchObject({ sliceSize: '4G', compression: 'zstd:5', noCompress: ['*.jpg', '*.mp4', '*.zst'], test: true, isolate: true });
    expect(profile.rsync).toMatchObject({ delete: true });
  });

  it('a plain directory without a snapshot', async () => {
    const profile = await load('plain-dir.ini');
    expect(profile.source).toEqual({ type: 'none', root: '/var/lib/quiet-data' });
    expect(profile.rsync).toBeUndefined();
  });

  it('ConfigParser dialect: ":" separators, continuation lines, case-insensitive keys, comments', () => {
    const doc = parseIni('# top\n[backup]\nTarget: /a\nsubdirs = etc\n  var/lib ; comment\n\n; more\n', 'p.ini');
    const backup = doc.sections.get('backup')!;
    expect(backup.keys.get('target')).toEqual({ value: '/a', line: 3 });
    expect(backup.keys.get('subdirs')).toEqual({ value: 'etc\nvar/lib', line: 4 });
  });

  it('a btrfs snapshot name defaults to the archive prefix + "snapshot"; unused sections are warned about', () => {
    const profile = parseProfile(
      '[lvm]\nvolume_group = x\n[btrfs]\nsubvolume = /s\nsnapshot_dir = /d\n[backup]\nsource_type = btrfs\ntarget = /t\narchive_prefix = web-\n[rsync]\ntouch_file = /x\n',
      'p.ini',
    );
    expect(profile.source).toMatchObject({ snapshotName: 'web-snapshot' });
    expect(profile.warnings).toEqual(['p.ini:1: [lvm] is ignored: source_type is btrfs', 'p.ini:11: [rsync] touch_file is not implemented (as in the original) and is ignored']);
  });
});

/** Each bad profile: the one line it must produce (file:line: [section] key: …). */
const BAD: Array<[file: string, message: RegExp]> = [
  ['missing-section.ini', /^missing-section\.ini:5: missing section \[lvm\] \(source_type = lvm \(line 2\) needs it\)$/],
  ['unknown-source-type.ini', /^unknown-source-type\.ini:2: \[backup\] source_type: unknown source type 'zfs' \(one of: lvm, btrfs, none\)$/],
  ['bad-size.ini', /^bad-size\.ini:5: \[lvm\] snapshot_size: 'two gigabytes' is not a size like 2G/],
  ['relative-target.ini', /^relative-target\.ini:4: \[backup\] target: must be an absolute path, got 'backups\/x'$/],
  ['unknown-key.ini', /^unknown-key\.ini:6: \[backup\] compresion: unknown key/],
  ['unknown-section.ini', /^unknown-section\.ini:7: unknown section \[zfs\]/],
  ['bad-boolean.ini', /^bad-boolean\.ini:8: \[rsync\] enabled: 'perhaps' is not a boolean/],
  ['missing-key.ini', /^missing-key\.ini:1: \[btrfs\] snapshot_dir: missing \(required\)$/],
  ['duplicate-key.ini', /^duplicate-key\.ini:5: \[backup\] target: set twice \(first at line 4\)$/],
  ['not-ini.ini', /^not-ini\.ini:3: cannot read 'this line is not a key': expected \[section\] or key = value$/],
  ['relative-bind.ini', /^relative-bind\.ini:11: \[bindmounts\] equals: 'boot\/efi' must be absolute/],
  ['bad-slice-size.ini', /^bad-slice-size\.ini:8: \[dar\] slice_size: '2GB' is not a whole number of bytes/],
  ['unterminated-quote.ini', /^unterminated-quote\.ini:6: \[backup\] subdirs: unterminated double quote$/],
];

describe('bad profiles name the line, section and key', () => {
  it.each(BAD)('%s', async (file, message) => {
    const error = await load(`bad/${file}`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('offsite archive with a bad profile: one line, exit 2', () => {
  const env = isolatedEnv({});
  it.each(BAD)('%s', async (file, message) => {
    const result = await runCli('offsite', ['archive', join(profiles, 'bad', file)], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.replace(`offsite: ${profiles}/bad/`, '')).toMatch(message);
  });

  it('a profile that does not exist', async () => {
    const result = await runCli('offsite', ['archive', '/nonexistent/p.ini'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('offsite: /nonexistent/p.ini: no such profile\n');
  });

  it('an unknown --log level', async () => {
    const result = await runCli('offsite', ['archive', join(profiles, 'plain-dir.ini'), '-l', 'LOUD'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("offsite: --log: unknown level 'LOUD' (DEBUG, INFO, WARNING, ERROR, CRITICAL)\n");
  });

  it('--json: the error is a JSON line on stdout', async () => {
    const result = await runCli('offsite', ['archive', join(profiles, 'bad', 'relative-target.ini'), '--json'], { env });
    expect(result.code).toBe(2);
    const event = JSON.parse(result.stdout.trim()) as { type: string; exitCode: number; message: string };
    expect(event).toMatchObject({ type: 'error', exitCode: 2 });
    expect(event.message).toMatch(/relative-target\.ini:4: \[backup\] target/);
  });
});
