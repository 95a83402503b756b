import type { S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpgArguments } from '../../../src/core/s3/encryption.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { shellQuote } from '../../sandbox/sandbox.js';
import { createBucket, head, listKeys, objectBytes, parseEvents, resultOf, s3Client } from './helpers.js';

const run = promisify(execFile);
const BUCKET = 'enc-bucket';
const MiB = 1024 * 1024;

const fixture = useSandbox('s3-enc', { instance: false });
let s3: S3Client;
let source: string;
let passphraseFile: string;
let passphrase: string;
let gnupgHome: string;
let env: Record<string, string | undefined>;

const files: Record<string, Buffer> = {
  'peer one/etc.tar.gz': pseudoRandom(200_000, 11),
  'ünïcødé/notes.txt': Buffer.from('private notes\n'),
  'empty': Buffer.alloc(0),
  'large.bin': pseudoRandom(6 * MiB + 7, 12),
};

beforeAll(async () => {
  s3 = s3Client(fixture.sandbox);
  await createBucket(s3, BUCKET);
  source = join(fixture.work, `it's a "quoted" source`);
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(join(source, rel, '..'), { recursive: true });
    await writeFile(join(source, rel), data);
  }
  passphrase = `pp-${randomBytes(16).toString('hex')}`;
  passphraseFile = join(fixture.work, 'pass phrase');
  await writeFile(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
  gnupgHome = join(fixture.work, 'gnupg');
  await mkdir(gnupgHome, { mode: 0o700 });
  env = isolatedEnv({ ...fixture.sandbox.env, TMPDIR: join(fixture.work) });
});

afterAll(async () => {
  s3?.destroy();
  // The template test ran gpg with this home: stop the agent it started.
  if (gnupgHome) await run('gpgconf', ['--homedir', gnupgHome, '--kill', 'gpg-agent']).catch(() => undefined);
});

/** Decrypts with gpg as the README says (no agent needed for decryption with a passphrase file). */
async function decrypt(ciphertext: Buffer): Promise<Buffer> {
  const input = join(fixture.work, `cipher-${randomBytes(4).toString('hex')}`);
  const output = `${input}.plain`;
  await writeFile(input, ciphertext);
  await run('gpg', ['--homedir', gnupgHome, '--no-autostart', '--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase-file', passphraseFile, '--output', output, '--decrypt', input]);
  const plain = await readFile(output);
  await rm(input);
  await rm(output);
  return plain;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const PARTS = ['--part-size', '5MB', '--multipart-threshold', '5MB'];

async function gpgAgentsUnder(dir: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'stat=,args=']);
  return stdout.split('\n').filter((line) => line.includes('gpg-agent') && line.includes(dir) && !/^\s*Z/.test(line));
}

describe('encrypted stores', () => {
  it('the passphrase goes to gpg as a file, never on its command line', () => {
    const argv = gpgArguments({ kind: 'gpg', passphraseFile: '/secret/file', gpgPath: '/usr/bin/gpg' }, '/tmp/home', '/in', '/out');
    expect(argv).toContain('/secret/file');
    expect(argv).not.toContain('--passphrase');
  });

  it('--encrypt gpg: every object decrypts to the original bytes; temp dir and gpg agent are gone; the passphrase is nowhere', async () => {
    const result = await runCli('offsite', ['s3', source, `s3://${BUCKET}/gpg`, '--encrypt', 'gpg', '--passphrase-file', passphraseFile, '--json', ...PARTS], { env });
    expect(result.code, result.stderr).toBe(0);
    const events = parseEvents(result.stdout);
    expect(resultOf(events)).toMatchObject({ files: 4, uploaded: 4, verified: 4, encryption: 'gpg' });
    expect(await listKeys(s3, BUCKET, 'gpg/')).toEqual([...Object.keys(files).map((rel) => `gpg/${rel}`), 'gpg/.offsite/tree.json'].sort());
    for (const [rel, plain] of Object.entries(files)) {
      const object = await objectBytes(s3, BUCKET, `gpg/${rel}`);
      expect(object.length, rel).toBeGreaterThan(0); // even the empty file is an OpenPGP message
      expect(object.subarray(0, 64).includes(plain.subarray(0, 64)) && plain.length > 0, `${rel} is not plaintext`).toBe(false);
      expect((await decrypt(object)).equals(plain), rel).toBe(true);
      const info = await head(s3, BUCKET, `gpg/${rel}`);
      expect(info.Metadata).toMatchObject({ sha256: sha256(plain), 'ciphertext-sha256': sha256(object), 'offsite-encryption': 'gpg' });
    }
    const tempDirs = events.filter((e) => e.type === 'resource-created' && e.kind === 'temp-dir').map((e) => e.id!);
    expect(tempDirs).toHaveLength(1);
    await expect(access(tempDirs[0]!)).rejects.toThrow();
    expect(events.some((e) => e.type === 'resource-released' && e.kind === 'temp-dir' && e.action === 'removed')).toBe(true);
    expect(await gpgAgentsUnder(tempDirs[0]!)).toEqual([]);
    expect(result.stdout + result.stderr).not.toContain(passphrase);
    const ledgers = join(fixture.sandbox.env.OFFSITE_STATE_DIR!, 'runs');
    for (const name of await readdir(ledgers)) expect(await readFile(join(ledgers, name), 'utf8')).not.toContain(passphrase);
  });

  it('a second encrypted run sends nothing: unchanged files are recognised by their plaintext SHA-256', async () => {
    const result = await runCli('offsite', ['s3', source, `s3://${BUCKET}/gpg`, '--encrypt', 'gpg', '--passphrase-file', passphraseFile, '--json', ...PARTS], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(resultOf(parseEvents(result.stdout))).toMatchObject({ uploaded: 0, unchanged: 4, verified: 4 });
  });

  it("Cedar's template runs without a shell: program and paths with spaces and both kinds of quotes work", async () => {
    const binDir = join(fixture.work, `it's "odd" bin`);
    await mkdir(binDir);
    await symlink('/usr/bin/gpg', join(binDir, 'my gpg'));
    const template = [
      shellQuote(join(binDir, 'my gpg')),
      '--homedir', shellQuote(gnupgHome),
      '-c', '--batch', '--yes', '--pinentry-mode', 'loopback',
      '--passphrase-file', shellQuote(passphraseFile),
      '-o', '${output}', '${input}',
    ].join(' ');
    const result = await runCli('offsite', ['s3', source, `s3://${BUCKET}/template`, '--encrypt-command', template, '--json', ...PARTS], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(resultOf(parseEvents(result.stdout))).toMatchObject({ uploaded: 4, verified: 4, encryption: 'command' });
    for (const [rel, plain] of Object.entries(files)) {
      const object = await objectBytes(s3, BUCKET, `template/${rel}`);
      // Cedar's rule for templates: an empty file is stored empty, not run through the command.
      if (plain.length === 0) expect(object.length).toBe(0);
      else expect((await decrypt(object)).equals(plain), rel).toBe(true);
    }
  });

  it('a failing encrypt command stops the run before anything is stored, in one line', async () => {
    const result = await runCli('offsite', ['s3', source, `s3://${BUCKET}/failing`, '--encrypt-command', '/bin/false ${input} ${output}'], { env });
    expect(result.code).toBe(1);
    const last = result.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^offsite: Error \[1\] encrypting \[.*it's a "quoted" source\/.*\]\.$/);
    expect(await listKeys(s3, BUCKET, 'failing/')).toEqual([]);
    expect((await readdir(fixture.work)).filter((name) => name.startsWith('offsite-s3-'))).toEqual([]);
  });
});
