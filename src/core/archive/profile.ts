import { isAbsolute, normalize } from 'node:path';
import { UsageError } from '../../errors.js';
import { splitWords } from '../../util/words.js';
import { ProfileError, parseIni, type IniDocument, type IniSection, type IniValue } from '../../util/ini.js';

export type SourceType = 'lvm' | 'btrfs' | 'none';

export interface LvmSource {
  type: 'lvm';
  volumeGroup: string;
  logicalVolume: string;
  snapshotName: string;
  /** Any `lvcreate --size` string: 2G, 500M, 1.5t. */
  snapshotSize: string;
  /** Extra mount options after `ro` (XFS snapshots need `nouuid`). */
  mountOptions: string[];
}

export interface BtrfsSource {
  type: 'btrfs';
  subvolume: string;
  snapshotDir: string;
  snapshotName: string;
}

export interface PlainSource {
  type: 'none';
  root: string;
}

export type ArchiveSource = LvmSource | BtrfsSource | PlainSource;

export interface DarSettings {
  /** dar -s: slice size (the original's 1875000000 fits ISO9660 DVDs). */
  sliceSize: string;
  /** dar -z: a level (9) or algorithm[:level] (zstd:5); 'none' for no compression. */
  compression: string;
  /** dar -m: files smaller than this are stored uncompressed. */
  minCompressSize: number;
  /** dar -Z: masks of files never compressed. */
  noCompress: string[];
  /** Passed to `dar -c` after everything else, verbatim. */
  extraArgs: string[];
  /** After creating: `dar -t` the archive. */
  test: boolean;
  /** After testing: isolate the catalogue (`dar -C`) beside the archive. */
  isolate: boolean;
}

export interface RsyncMirror {
  targetDir: string;
  evenIfBackupFailed: boolean;
  /** rsync --delete: the original never propagated deletions; off by default. */
  delete: boolean;
}

export interface ArchiveProfile {
  file: string;
  source: ArchiveSource;
  target: string;
  archivePrefix: string;
  subdirs: string[];
  bindMounts: string[];
  rsync?: RsyncMirror;
  dar: DarSettings;
  /** Things that are accepted but not acted on (the original's unimplemented keys). */
  warnings: string[];
  /** `section.key` → line, so later checks (a path that is not a subvolume) can name the line too. */
  lines: Record<string, number>;
}

export const DEFAULT_NO_COMPRESS = ['*.avi', '*.bz2', '*.gif', '*.gz', '*.jpg', '*.mov', '*.mpg', '*.mp3', '*.pbm', '*.pdf', '*.png', '*.Z', '*.zip'];

export const DEFAULT_DAR: DarSettings = {
  sliceSize: '1875000000',
  compression: '9',
  minCompressSize: 150,
  noCompress: DEFAULT_NO_COMPRESS,
  extraArgs: [],
  test: true,
  isolate: true,
};

/** Which keys each section may hold; anything else is a typo we refuse. */
const KNOWN: Record<string, readonly string[]> = {
  backup: ['source_type', 'target', 'archive_prefix', 'subdirs', 'source_root'],
  lvm: ['volume_group', 'logical_volume', 'snapshot_lv_name', 'snapshot_size', 'mount_options'],
  btrfs: ['subvolume', 'snapshot_dir', 'snapshot_name'],
  bindmounts: ['equals'],
  rsync: ['enabled', 'target_dir', 'even_if_backup_failed', 'delete', 'touch_file'],
  dar: ['slice_size', 'compression', 'min_compress_size', 'no_compress', 'extra_args', 'test', 'isolate'],
};

const LVM_SIZE = /^\d+(\.\d+)?[bBsSkKmMgGtTpPeE]?$/;
const DAR_SIZE = /^\d+[kMGTPEZY]?$/;
const DAR_COMPRESSION = /^(none|\d|(gzip|bzip2|lzo|lzo1x_1_15|lzo1x_1|xz|zstd|lz4)(:\d{1,2})?)$/;
const LVM_NAME = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/;

/** Reads and validates a profile; every error names the file, line, section and key. */
export function parseProfile(text: string, file: string): ArchiveProfile {
  const doc = parseIni(text, file);
  for (const section of doc.sections.values()) {
    const known = KNOWN[section.name];
    if (!known) throw new ProfileError(file, section.line, `unknown section [${section.name}] (known: ${Object.keys(KNOWN).map((s) => `[${s}]`).join(' ')})`);
    for (const [key, value] of section.keys) {
      if (!known.includes(key)) throw new ProfileError(file, value.line, `[${section.name}] ${key}: unknown key (known: ${known.join(', ')})`);
    }
  }
  const lines: Record<string, number> = {};
  for (const section of doc.sections.values()) for (const [key, value] of section.keys) lines[`${section.name}.${key}`] = value.line;

  const backup = new SectionReader(doc, requireSection(doc, 'backup'));
  const sourceType = backup.oneOf('source_type', ['lvm', 'btrfs', 'none'] as const);
  const warnings: string[] = [];
  const unused = (name: string, why: string): void => {
    const section = doc.sections.get(name);
    if (section) warnings.push(`${file}:${section.line}: [${name}] is ignored: ${why}`);
  };

  let source: ArchiveSource;
  if (sourceType.value === 'lvm') {
    const lvm = new SectionReader(doc, requireSection(doc, 'lvm', `source_type = lvm (line ${sourceType.line}) needs it`));
    source = {
      type: 'lvm',
      volumeGroup: lvm.name('volume_group'),
      logicalVolume: lvm.name('logical_volume'),
      snapshotName: lvm.name('snapshot_lv_name'),
      snapshotSize: lvm.matching('snapshot_size', LVM_SIZE, 'a size like 2G, 500M or 1.5T (lvcreate --size)'),
      mountOptions: lvm.optional('mount_options')?.value.split(',').map((o) => o.trim()).filter(Boolean) ?? [],
    };
    unused('btrfs', 'source_type is lvm');
  } else if (sourceType.value === 'btrfs') {
    const btrfs = new SectionReader(doc, requireSection(doc, 'btrfs', `source_type = btrfs (line ${sourceType.line}) needs it`));
    source = {
      type: 'btrfs',
      subvolume: btrfs.absolutePath('subvolume'),
      snapshotDir: btrfs.absolutePath('snapshot_dir'),
      snapshotName: btrfs.optional('snapshot_name') ? btrfs.fileName('snapshot_name') : '',
    };
    unused('lvm', 'source_type is btrfs');
  } else {
    source = { type: 'none', root: backup.absolutePath('source_root') };
    unused('lvm', 'source_type is none');
    unused('btrfs', 'source_type is none');
  }
  if (source.type !== 'none' && backup.optional('source_root')) {
    warnings.push(`${file}:${backup.optional('source_root')!.line}: [backup] source_root is ignored: the snapshot is the source`);
  }

  const archivePrefix = backup.fileName('archive_prefix', true);
  if (source.type === 'btrfs' && !source.snapshotName) source.snapshotName = `${archivePrefix}snapshot`;
  const target = backup.absolutePath('target');
  const subdirs = backup.words('subdirs', (word) => {
    if (isAbsolute(word)) return 'must be relative to the snapshot root (dar -g)';
    if (normalize(word).split('/').includes('..')) return "must not contain '..'";
    return undefined;
  });

  let bindMounts: string[] = [];
  const binds = doc.sections.get('bindmounts');
  if (binds) {
    const reader = new SectionReader(doc, binds);
    bindMounts = reader.words('equals', (word) => (isAbsolute(word) && normalize(word) !== '/' ? undefined : 'must be absolute paths other than /')).map((p) => normalize(p).replace(/\/$/, ''));
    if (source.type === 'none' && bindMounts.length > 0) {
      throw new ProfileError(file, reader.line('equals'), '[bindmounts] equals: bind mounts need a snapshot to mount into; with source_type = none they would change the live tree');
    }
  }

  let rsync: RsyncMirror | undefined;
  const rsyncSection = doc.sections.get('rsync');
  if (rsyncSection) {
    const reader = new SectionReader(doc, rsyncSection);
    if (reader.optional('touch_file')) warnings.push(`${file}:${reader.line('touch_file')}: [rsync] touch_file is not implemented (as in the original) and is ignored`);
    if (reader.bool('enabled', false)) {
      const targetDir = reader.absolutePath('target_dir');
      if (normalize(targetDir) === normalize(target)) throw new ProfileError(file, reader.line('target_dir'), '[rsync] target_dir: is the same directory as [backup] target');
      rsync = { targetDir, evenIfBackupFailed: reader.bool('even_if_backup_failed', false), delete: reader.bool('delete', false) };
    }
  }

  let dar = DEFAULT_DAR;
  const darSection = doc.sections.get('dar');
  if (darSection) {
    const reader = new SectionReader(doc, darSection);
    dar = {
      sliceSize: reader.optional('slice_size') ? reader.matching('slice_size', DAR_SIZE, 'a whole number of bytes, optionally with k, M, G, T (dar -s)') : DEFAULT_DAR.sliceSize,
      compression: reader.optional('compression')
        ? reader.matching('compression', DAR_COMPRESSION, 'a level 0-9, none, or algorithm[:level] such as gzip:9, zstd:5, xz:6')
        : DEFAULT_DAR.compression,
      minCompressSize: reader.optional('min_compress_size') ? Number(reader.matching('min_compress_size', /^\d+$/, 'a whole number of bytes')) : DEFAULT_DAR.minCompressSize,
      noCompress: reader.optional('no_compress') ? reader.words('no_compress') : DEFAULT_DAR.noCompress,
      extraArgs: reader.words('extra_args'),
      test: reader.bool('test', true),
      isolate: reader.bool('isolate', true),
    };
  }

  return { file, source, target, archivePrefix, subdirs, bindMounts, ...(rsync ? { rsync } : {}), dar, warnings, lines };
}

function requireSection(doc: IniDocument, name: string, why = 'required'): IniSection {
  const section = doc.sections.get(name);
  if (!section) throw new ProfileError(doc.file, doc.endLine, `missing section [${name}] (${why})`);
  return section;
}

/** Typed reads of one section's keys; every failure is a ProfileError naming section, key and line. */
class SectionReader {
  constructor(
    private readonly doc: IniDocument,
    private readonly section: IniSection,
  ) {}

  optional(key: string): IniValue | undefined {
    return this.section.keys.get(key);
  }

  line(key: string): number {
    return this.section.keys.get(key)?.line ?? this.section.line;
  }

  fail(key: string, message: string): never {
    throw new ProfileError(this.doc.file, this.line(key), `[${this.section.name}] ${key}: ${message}`);
  }

  required(key: string, allowEmpty = false): string {
    const found = this.section.keys.get(key);
    if (!found) this.fail(key, 'missing (required)');
    if (!allowEmpty && found.value === '') this.fail(key, 'is empty');
    return found.value;
  }

  oneOf<T extends string>(key: string, choices: readonly T[]): { value: T; line: number } {
    const value = this.required(key).toLowerCase();
    if (!(choices as readonly string[]).includes(value)) this.fail(key, `unknown source type '${value}' (one of: ${choices.join(', ')})`);
    return { value: value as T, line: this.line(key) };
  }

  matching(key: string, pattern: RegExp, what: string): string {
    const value = this.required(key);
    if (!pattern.test(value)) this.fail(key, `'${value}' is not ${what}`);
    return value;
  }

  name(key: string): string {
    const value = this.required(key);
    if (!LVM_NAME.test(value) || value === '.' || value === '..') this.fail(key, `'${value}' is not a valid LVM name (letters, digits, + _ . -)`);
    return value;
  }

  fileName(key: string, allowEmpty = false): string {
    const value = this.required(key, allowEmpty);
    if (value.includes('/') || value.includes('\0') || value === '.' || value === '..') this.fail(key, `'${value}' must be a plain file name (no '/')`);
    return value;
  }

  absolutePath(key: string): string {
    const value = this.required(key);
    if (!isAbsolute(value)) this.fail(key, `must be an absolute path, got '${value}'`);
    const clean = normalize(value);
    return clean.length > 1 ? clean.replace(/\/$/, '') : clean;
  }

  bool(key: string, fallback: boolean): boolean {
    const found = this.section.keys.get(key);
    if (!found) return fallback;
    const value = found.value.toLowerCase();
    if (['1', 'yes', 'true', 'on'].includes(value)) return true;
    if (['0', 'no', 'false', 'off'].includes(value)) return false;
    return this.fail(key, `'${found.value}' is not a boolean (true/false, yes/no, on/off, 1/0)`);
  }

  /** A shell-split list (the original used shlex); `check` returns a problem for a bad word. */
  words(key: string, check?: (word: string) => string | undefined): string[] {
    const found = this.section.keys.get(key);
    if (!found) return [];
    let words: string[];
    try {
      words = splitWords(found.value, 'value');
    } catch (error) {
      return this.fail(key, error instanceof UsageError ? error.message.replace(/^value: /, '') : String(error));
    }
    for (const word of words) {
      const problem = check?.(word);
      if (problem) this.fail(key, `'${word}' ${problem}`);
    }
    return words;
  }
}
