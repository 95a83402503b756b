import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, OffsiteError } from '../../../src/errors.js';
import { parseSshFlags } from '../../../src/ssh/flags.js';
import {
  fingerprintHostKey,
  hostKeyPolicy,
  makeHostVerifier,
  preferredHostKeyAlgorithms,
  type HostKeyPolicyInput,
} from '../../../src/ssh/host-key.js';
import type { HostKeyExpectation } from '../../../src/ssh/types.js';

const run = promisify(execFile);
const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/console/${name}`, import.meta.url), 'utf8');

let dir: string;
let home: string;
/** A generated host key: its known_hosts text, raw blob and ssh-keygen's own fingerprints. */
interface TestKey {
  line: string;
  blob: Buffer;
  sha256: string;
  md5: string;
}
const testKeys: Record<string, TestKey> = {};

async function makeKey(name: string, type: string): Promise<TestKey> {
  const file = path.join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file]);
  const line = (await readFile(`${file}.pub`, 'utf8')).trim();
  const sha = (await run('ssh-keygen', ['-l', '-f', `${file}.pub`])).stdout.split(/\s+/)[1] ?? '';
  const md5 = (await run('ssh-keygen', ['-E', 'md5', '-l', '-f', `${file}.pub`])).stdout.split(/\s+/)[1] ?? '';
  return { line, blob: Buffer.from(line.split(/\s+/)[1] ?? '', 'base64'), sha256: sha.replace(/^SHA256:/, ''), md5: md5.replace(/^MD5:/, '') };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'offsite-host-key-'));
  home = path.join(dir, 'home');
  await mkdir(path.join(home, '.ssh'), { recursive: true });
  testKeys.server = await makeKey('server', 'ed25519');
  testKeys.other = await makeKey('other', 'ed25519');
  testKeys.rsa = await makeKey('rsa', 'rsa');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (name: string): TestKey => {
  const found = testKeys[name];
  if (!found) throw new Error(`no test key ${name}`);
  return found;
};

function policy(flags: string, extra: Partial<HostKeyPolicyInput> = {}): Promise<HostKeyExpectation> {
  return hostKeyPolicy({ host: '203.0.113.7', options: parseSshFlags(flags, undefined, { homeDir: home }), homeDir: home, ...extra });
}

/** A console that has no key block for the first `emptyPolls` reads. */
function slowConsole(emptyPolls: number, finally_: string) {
  const calls = { count: 0 };
  const readConsole = async () => {
    calls.count++;
    return calls.count <= emptyPolls ? fixture('no-block.txt') : finally_;
  };
  return { calls, readConsole };
}

describe('hostKeyPolicy', () => {
  it('(a) uses a known_hosts entry for host:port first, without reading the console', async () => {
    const file = path.join(dir, 'kh-a');
    await writeFile(file, `# mine\n[203.0.113.7]:2222 ${key('server').line}\n203.0.113.7 ${key('other').line}\n`);
    const console_ = slowConsole(0, fixture('amazon-linux-2023.txt'));
    const expectation = await policy(`-p 2222 -o UserKnownHostsFile=${file}`, { readConsole: console_.readConsole });
    expect(expectation).toEqual({
      kind: 'known-keys',
      keys: [{ type: 'ssh-ed25519', blobBase64: key('server').blob.toString('base64') }],
      source: `${file}:2`,
    });
    expect(console_.calls.count).toBe(0);
  });

  it('(a) looks in ~/.ssh/known_hosts by default, under the -o HostName name', async () => {
    await writeFile(path.join(home, '.ssh', 'known_hosts'), `sandbox.internal ${key('rsa').line}\n`);
    try {
      const expectation = await policy('-o HostName=sandbox.internal');
      expect(expectation).toMatchObject({ kind: 'known-keys', source: `${home}/.ssh/known_hosts:1` });
      await expect(policy('')).rejects.toThrow(OffsiteError);
    } finally {
      await rm(path.join(home, '.ssh', 'known_hosts'));
    }
  });

  it('(a) with StrictHostKeyChecking=no still uses known keys but lets a mismatch through with a warning', async () => {
    const file = path.join(dir, 'kh-a2');
    await writeFile(file, `203.0.113.7 ${key('server').line}\n`);
    const expectation = await policy(`-o UserKnownHostsFile=${file} -o StrictHostKeyChecking=no`);
    expect(expectation).toMatchObject({ kind: 'known-keys', allowMismatch: true });
  });

  it('(b) StrictHostKeyChecking=no without an entry is unchecked, and does not read the console', async () => {
    const console_ = slowConsole(0, fixture('amazon-linux-2023.txt'));
    const expectation = await policy('-o StrictHostKeyChecking=no', { readConsole: console_.readConsole });
    expect(expectation).toEqual({ kind: 'unchecked' });
    expect(console_.calls.count).toBe(0);
  });

  it('(c) polls the console with backoff until the fingerprint block appears', async () => {
    const console_ = slowConsole(2, fixture('amazon-linux-2023.txt'));
    const polls: number[] = [];
    const expectation = await policy('-o StrictHostKeyChecking=yes', {
      readConsole: console_.readConsole,
      consoleSource: 'the console output of i-0abc',
      consolePollMs: { initial: 5, max: 20 },
      onConsolePoll: (attempt) => polls.push(attempt),
    });
    expect(console_.calls.count).toBe(3);
    expect(polls).toEqual([2, 3]);
    expect(expectation).toMatchObject({ kind: 'fingerprints', source: 'the console output of i-0abc', md5: [] });
    expect(expectation.kind === 'fingerprints' && expectation.sha256).toContain('2O7yydJWBlpaPmsruTYNwWwpSQDhmO8m6e0ZMSzATUM');
  });

  it('(c) treats a console that answers nothing as not ready yet', async () => {
    let calls = 0;
    const expectation = await policy('', {
      readConsole: async () => (++calls === 1 ? undefined : fixture('old-md5.txt')),
      consolePollMs: { initial: 1, max: 1 },
    });
    expect(expectation).toMatchObject({ kind: 'fingerprints', sha256: [] });
    expect(calls).toBe(2);
  });

  it('(c) gives up at the deadline with one line saying how to fix it', async () => {
    const console_ = slowConsole(Infinity, '');
    const started = Date.now();
    const error = await policy('', {
      readConsole: console_.readConsole,
      consoleSource: 'the console output of i-0abc',
      consoleTimeoutMs: 150,
      consolePollMs: { initial: 10, max: 40 },
    }).catch((e: unknown) => e);
    // A console that never answers: only the deadline ends this, long before the test's own limit.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(error).toBeInstanceOf(OffsiteError);
    const message = (error as Error).message;
    expect(message).toMatch(/^no SSH host key fingerprints for 203\.0\.113\.7:22 appeared in the console output of i-0abc within 150ms; /);
    expect(message).toContain('-o UserKnownHostsFile=FILE');
    expect(message).toContain('-o StrictHostKeyChecking=no');
    expect(message).not.toContain('\n');
    expect(console_.calls.count).toBeGreaterThan(2);
  });

  it('(c) stops polling at once when aborted', async () => {
    const controller = new AbortController();
    const console_ = slowConsole(Infinity, '');
    const pending = policy('', {
      readConsole: async () => {
        const text = await console_.readConsole();
        setTimeout(() => controller.abort(), 20);
        return text;
      },
      consolePollMs: { initial: 60_000, max: 60_000 },
      signal: controller.signal,
    });
    const started = Date.now();
    await expect(pending).rejects.toBeInstanceOf(InterruptedError);
    // Half the 60 s poll interval: only an abort that works ends the wait this early.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(console_.calls.count).toBe(1);
  });

  it('(d) refuses with one line when nothing vouches for the key', async () => {
    const error = await policy('-p 2200').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsiteError);
    expect((error as Error).message).toBe(
      `no trusted host key for 203.0.113.7:2200: it is not in ${home}/.ssh/known_hosts or ${home}/.ssh/known_hosts2; ` +
        'pass -o UserKnownHostsFile=FILE with its host key, or -o StrictHostKeyChecking=no to skip checking',
    );
  });

  it('carries @revoked keys into whatever it decides', async () => {
    const file = path.join(dir, 'kh-revoked');
    await writeFile(file, `@revoked * ${key('other').line}\n`);
    const expectation = await policy(`-o UserKnownHostsFile=${file}`, {
      readConsole: async () => fixture('amazon-linux-2023.txt'),
    });
    expect(expectation).toMatchObject({
      kind: 'fingerprints',
      revoked: [{ type: 'ssh-ed25519', blobBase64: key('other').blob.toString('base64') }],
    });
  });
});

describe('fingerprintHostKey', () => {
  it('computes what ssh-keygen -l prints', () => {
    for (const name of ['server', 'rsa']) {
      const k = key(name);
      const presented = fingerprintHostKey(k.blob);
      expect(presented.sha256).toBe(k.sha256);
      expect(presented.md5).toBe(k.md5);
      expect(presented.type).toBe(k.line.split(' ')[0]);
    }
  });
});

describe('makeHostVerifier', () => {
  const target = { host: '203.0.113.7', port: 22 };

  it('accepts a key whose SHA256 or MD5 fingerprint the console listed, and refuses others in one line', () => {
    const bySha = makeHostVerifier({ kind: 'fingerprints', sha256: [key('server').sha256], md5: [], source: 'the console' }, target);
    expect(bySha.verify(key('server').blob)).toBe(true);
    expect(bySha.presented()?.sha256).toBe(key('server').sha256);
    expect(bySha.verify(key('other').blob)).toBe(false);
    expect(bySha.refusal()).toBe(
      `host key for 203.0.113.7:22 does not match the fingerprints in the console: the server offered SHA256:${key('other').sha256} (ssh-ed25519)`,
    );

    const byMd5 = makeHostVerifier({ kind: 'fingerprints', sha256: [], md5: [key('rsa').md5], source: 'x' }, target);
    expect(byMd5.verify(key('rsa').blob)).toBe(true);
    expect(byMd5.verify(key('server').blob)).toBe(false);
  });

  it('compares whole keys for known_hosts, warning instead of refusing only when checking is off', () => {
    const keys = [{ type: 'ssh-ed25519', blobBase64: key('server').blob.toString('base64') }];
    const strict = makeHostVerifier({ kind: 'known-keys', keys, source: '/k/known_hosts:3' }, { host: '127.0.0.1', port: 2222 });
    expect(strict.verify(key('server').blob)).toBe(true);
    expect(strict.refusal()).toBeUndefined();
    expect(strict.verify(key('other').blob)).toBe(false);
    expect(strict.refusal()).toMatch(/^host key for 127\.0\.0\.1:2222 does not match \/k\/known_hosts:3: the server offered SHA256:/);
    expect(strict.refusal()).toContain(`ssh-keygen -R '[127.0.0.1]:2222'`);

    const loose = makeHostVerifier({ kind: 'known-keys', keys, source: 'kh', allowMismatch: true }, target);
    expect(loose.verify(key('other').blob)).toBe(true);
    expect(loose.warning()).toMatch(/does not match kh: .*; connecting anyway because StrictHostKeyChecking=no$/);
  });

  it('accepts anything when unchecked, except a revoked key', () => {
    const revoked = [{ type: 'ssh-ed25519', blobBase64: key('other').blob.toString('base64') }];
    const verifier = makeHostVerifier({ kind: 'unchecked', revoked }, target);
    expect(verifier.verify(key('server').blob)).toBe(true);
    expect(verifier.verify(key('other').blob)).toBe(false);
    expect(verifier.refusal()).toMatch(/^host key for 203\.0\.113\.7:22 is marked @revoked/);
  });
});

describe('preferredHostKeyAlgorithms', () => {
  it('asks first for the key types it can check', () => {
    const rsa = preferredHostKeyAlgorithms({
      kind: 'known-keys',
      keys: [{ type: 'ssh-rsa', blobBase64: 'x' }],
      source: 's',
    });
    expect(rsa?.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(rsa).toContain('ssh-ed25519');
    expect(
      preferredHostKeyAlgorithms({ kind: 'fingerprints', sha256: [], md5: [], source: 's', keyTypes: ['ecdsa-sha2-nistp256'] })?.[0],
    ).toBe('ecdsa-sha2-nistp256');
    expect(preferredHostKeyAlgorithms({ kind: 'unchecked' })).toBeUndefined();
  });
});
