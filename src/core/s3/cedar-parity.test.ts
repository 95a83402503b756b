import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { parseCedarByteQuantity } from './byte-quantity.js';
import { readCedarConfig } from './cedar-config.js';
import { contentTypeGuesser } from './content-type.js';
import { escapeName } from '../../util/escape-name.js';
import { parseCedarBucket } from './url.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-cedar-units-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("Cedar's own reading of its configuration", () => {
  it('sizes: a number, optionally KB/MB/GB in capitals; what Cedar refuses is refused in one line', () => {
    expect(parseCedarByteQuantity('2.5 GB', 's')).toBe(2.5 * 1024 ** 3);
    expect(parseCedarByteQuantity('600MB', 's')).toBe(600 * 1024 ** 2);
    expect(parseCedarByteQuantity(' 1000 ', 's')).toBe(1000);
    expect(parseCedarByteQuantity('1e3 KB', 's')).toBe(1000 * 1024);
    for (const refused of ['10 kb', '1 TB', '2 GiB', '100 B', '-3 MB', 'lots', '']) {
      expect(() => parseCedarByteQuantity(refused, '<full_size_limit>'), refused).toThrow(UsageError);
    }
    expect(() => parseCedarByteQuantity('10 kb', '<full_size_limit>')).toThrow(/^<full_size_limit>: '10 kb' is not a size Cedar Backup accepts/);
  });

  it('an <s3_bucket> gives the keys Cedar gives it: every slash kept, as the aws CLI keeps it', () => {
    const cedar = (value: string) => parseCedarBucket(value, 's', { asCedar: true });
    expect(cedar('backup-bucket')).toEqual({ bucket: 'backup-bucket', prefix: '' });
    expect(cedar('backup-bucket/')).toEqual({ bucket: 'backup-bucket', prefix: '/' });
    expect(cedar('backup-bucket/staging')).toEqual({ bucket: 'backup-bucket', prefix: 'staging/' });
    expect(cedar('backup-bucket/staging/')).toEqual({ bucket: 'backup-bucket', prefix: 'staging//' });
    expect(() => cedar('backup-bucket/../x')).toThrow(/'\.' or '\.\.' segment/);
  });

  it('a configuration without <rcp_command> is refused in Cedar\'s words', async () => {
    const path = join(work, 'no-rcp.conf');
    await writeFile(
      path,
      `<cb_config><options><starting_day>monday</starting_day><working_dir>/tmp</working_dir><backup_user>backup</backup_user><backup_group>backup</backup_group></options>
       <stage><staging_dir>/srv/staging</staging_dir></stage><amazons3><s3_bucket>b-bucket</s3_bucket></amazons3></cb_config>`,
    );
    await expect(readCedarConfig(path)).rejects.toThrow(/no-rcp\.conf: Options section remote copy command must be filled in\.$/);
  });
});

describe('names on a terminal', () => {
  it('control characters, DEL, C1, backslashes and bytes that are not UTF-8 are escaped; the rest is kept', () => {
    expect(escapeName('red \x1b[31mname')).toBe('red \\e[31mname');
    expect(escapeName('a\nb\tc\x7f\u009b')).toBe('a\\nb\\tc\\x7f\\x9b');
    expect(escapeName('back\\slash ünïcødé ☃')).toBe('back\\\\slash ünïcødé ☃');
    expect(escapeName(Buffer.from('caf\xe9\x1b', 'latin1'))).toBe('caf\\xe9\\e');
    expect(escapeName(Buffer.from('ünï', 'utf8'))).toBe('ünï');
  });
});

describe('Content-Type', () => {
  it("is what Python's mimetypes (the aws CLI's guess) says for the same names", () => {
    const names = ['a.txt', 'page.HTML', 'x.tar.gz', 'x.tgz', 'data.json', 'img.JPG', 'archive.zip', 'noext', '.bashrc', 'dir.d/file', 'a.css', 'b.svg', 'c.bz2', 'movie.mp4', 'x.unknownext', 'doc.pdf'];
    const script = 'import json,mimetypes,sys\nprint(json.dumps([mimetypes.guess_type(n)[0] for n in sys.argv[1:]]))';
    const python = JSON.parse(execFileSync('python3', ['-c', script, ...names], { encoding: 'utf8' })) as Array<string | null>;
    const guess = contentTypeGuesser();
    expect(names.map((n) => guess(n) ?? null)).toEqual(python);
  });
});
