import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OffsiteError } from '../errors.js';
import { entryMatchesHost, findKnownKeys, knownHostsName, parseKnownHosts } from './known-hosts.js';

const run = promisify(execFile);

let dir: string;
const keys: Record<string, string> = {};

/** A fresh public key from ssh-keygen: `type blob`. */
async function newKey(name: string, type = 'ed25519'): Promise<string> {
  const file = path.join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const [keyType, blob] = (await readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/);
  return `${keyType} ${blob}`;
}

const blobOf = (key: string | undefined) => key?.split(' ')[1] ?? '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'offsite-known-hosts-'));
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) keys[name] = await newKey(name);
  keys.rsa = await newKey('rsa', 'rsa');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function knownHosts(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('knownHostsName', () => {
  it('files port 22 under the bare name and other ports in brackets, lower case', () => {
    expect(knownHostsName('Host.Example.COM', 22)).toBe('host.example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });
});

describe('findKnownKeys', () => {
  it('matches plain names, comma lists and [host]:port, and nothing else', async () => {
    const file = await knownHosts(
      'plain',
      [
        '# a comment',
        '',
        `host.example.com,10.0.0.1 ${keys.a} ops@laptop`,
        `[10.0.0.1]:2222 ${keys.b}`,
        `10.0.0.2 ${keys.rsa}`,
      ].join('\n'),
    );
    const on22 = await findKnownKeys([file], '10.0.0.1', 22);
    expect(on22.keys.map((k) => k.blobBase64)).toEqual([blobOf(keys.a)]);
    expect(on22.keys[0]).toMatchObject({ type: 'ssh-ed25519', file, line: 3 });
    expect((await findKnownKeys([file], 'HOST.example.com', 22)).keys).toHaveLength(1);
    expect((await findKnownKeys([file], '10.0.0.1', 2222)).keys.map((k) => k.blobBase64)).toEqual([blobOf(keys.b)]);
    expect((await findKnownKeys([file], '10.0.0.2', 22)).keys[0]?.type).toBe('ssh-rsa');
    expect((await findKnownKeys([file], '10.0.0.3', 22)).keys).toEqual([]);
    expect((await findKnownKeys([file], 'host.example.com', 2222)).keys).toEqual([]);
  });

  it('honours * and ? wildcards and ! negation', async () => {
    const file = await knownHosts(
      'wild',
      [`*.example.org,!bad.example.org ${keys.c}`, `10.1.?.9 ${keys.d}`, `[10.2.0.*]:* ${keys.e}`].join('\n'),
    );
    expect((await findKnownKeys([file], 'good.example.org', 22)).keys).toHaveLength(1);
    expect((await findKnownKeys([file], 'bad.example.org', 22)).keys).toEqual([]);
    expect((await findKnownKeys([file], 'example.org', 22)).keys).toEqual([]);
    expect((await findKnownKeys([file], '10.1.5.9', 22)).keys.map((k) => k.blobBase64)).toEqual([blobOf(keys.d)]);
    expect((await findKnownKeys([file], '10.1.55.9', 22)).keys).toEqual([]);
    expect((await findKnownKeys([file], '10.2.0.7', 2200)).keys.map((k) => k.blobBase64)).toEqual([blobOf(keys.e)]);
  });

  it('finds hashed entries written by ssh-keygen -H, as ssh-keygen -F does', async () => {
    const file = await knownHosts(
      'hashed',
      [`[127.0.0.1]:2222 ${keys.a}`, `host.example.com ${keys.b}`, `other.example.com ${keys.c}`].join('\n') + '\n',
    );
    await run('ssh-keygen', ['-H', '-f', file]);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('example.com');
    expect(text.match(/^\|1\|/gm)).toHaveLength(3);

    const onPort = await findKnownKeys([file], '127.0.0.1', 2222);
    expect(onPort.keys.map((k) => k.blobBase64)).toEqual([blobOf(keys.a)]);
    expect((await findKnownKeys([file], 'Host.Example.com', 22)).keys.map((k) => k.blobBase64)).toEqual([blobOf(keys.b)]);
    expect((await findKnownKeys([file], '127.0.0.1', 22)).keys).toEqual([]);
    expect((await findKnownKeys([file], 'nothere.example.com', 22)).keys).toEqual([]);

    // The independent implementation agrees on which line holds the host.
    const { stdout } = await run('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file]);
    expect(stdout).toContain(blobOf(keys.a));
    expect(onPort.keys[0]?.line).toBe(1);
  });

  it('reports @revoked keys apart and ignores @cert-authority lines', async () => {
    const file = await knownHosts(
      'markers',
      [`@revoked * ${keys.f}`, `@cert-authority *.example.com ${keys.e}`, `web.example.com ${keys.a}`].join('\n'),
    );
    const match = await findKnownKeys([file], 'web.example.com', 22);
    expect(match.keys.map((k) => k.blobBase64)).toEqual([blobOf(keys.a)]);
    expect(match.revoked.map((k) => k.blobBase64)).toEqual([blobOf(keys.f)]);
    expect((await findKnownKeys([file], 'db.example.com', 22)).keys).toEqual([]);
  });

  it('skips malformed lines and reads every file given, missing ones as empty', async () => {
    const [type, blob] = keys.a?.split(' ') ?? [];
    const bad = await knownHosts(
      'bad',
      [
        'onlyhost',
        `h1 ${type}`,
        `h1 ssh-rsa ${blob}`, // the blob says ed25519
        `h1 ${type} !!!notbase64!!!`,
        '@weird h1 ssh-ed25519 AAAA',
        '|1|short|hash ssh-ed25519 AAAA',
        `h1 ${keys.b}`,
      ].join('\n'),
    );
    const other = await knownHosts('other', `h1 ${keys.c}\n`);
    const match = await findKnownKeys([path.join(dir, 'missing'), bad, other], 'h1', 22);
    expect(match.keys.map((k) => [k.blobBase64, k.line])).toEqual([
      [blobOf(keys.b), 7],
      [blobOf(keys.c), 1],
    ]);
  });

  it('fails with one line when a file exists but cannot be read', async () => {
    const folder = path.join(dir, 'a-directory');
    await mkdir(folder, { recursive: true });
    const error = await findKnownKeys([folder], 'h1', 22).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsiteError);
    expect((error as Error).message).toBe(`cannot read known_hosts file ${folder}: is a directory`);
  });
});

describe('parseKnownHosts and entryMatchesHost', () => {
  it('parses markers, patterns and hashes', () => {
    const entries = parseKnownHosts(`@revoked a,b ${keys.a}\n|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|AAAAAAAAAAAAAAAAAAAAAAAAAAA= ${keys.b}\n`);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ marker: 'revoked', hosts: { kind: 'patterns', patterns: ['a', 'b'] } });
    expect(entries[1]?.hosts.kind).toBe('hashed');
    expect(entryMatchesHost(entries[0] as (typeof entries)[0], 'b')).toBe(true);
    expect(entryMatchesHost(entries[1] as (typeof entries)[0], 'b')).toBe(false);
  });
});
