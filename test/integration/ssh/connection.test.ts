/**
 * The SSH layer against a real OpenSSH sshd on loopback (test/sandbox/sshd.ts): host-key policy, login, exec,
 * streaming, sudo, dropped links and retries, all over real sockets.
 */
import { execFile, spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, OffsiteError } from '../../../src/errors.js';
import { connectSsh, loadIdentities, SshUnavailableError, waitForSsh, type ConnectSshInput } from '../../../src/ssh/connection.js';
import { parseSshFlags } from '../../../src/ssh/flags.js';
import { hostKeyPolicy } from '../../../src/ssh/host-key.js';
import { shellQuote } from '../../../src/ssh/quote.js';
import type { HostKeyExpectation, SshOptions, SshSession } from '../../../src/ssh/types.js';
import { startSshd, type SshdHandle } from '../../sandbox/sshd.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

let dir: string;
let home: string;
let sshd: SshdHandle;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'offsite-ssh-'));
  home = path.join(dir, 'home'); // an empty home: the machine's ~/.ssh must not take part
  await mkdir(home);
  sshd = await startSshd(path.join(dir, 'sshd'), { extraUser: true });
}, 600_000);

afterAll(async () => {
  await sshd?.stop();
  await rm(dir, { recursive: true, force: true });
}, 600_000);

const options = (flags: string): SshOptions => parseSshFlags(flags, 'EC2_BACKUP_FLAGS_SSH', { homeDir: home });

/** The instance's address as EC2 would report it; -o HostName in the sandbox flags points at 127.0.0.1. */
const INSTANCE_ADDRESS = '198.51.100.20';

function input(opts: SshOptions, expectation: HostKeyExpectation, extra: Partial<ConnectSshInput> = {}): ConnectSshInput {
  return { host: INSTANCE_ADDRESS, options: opts, defaultUser: 'ec2-user', expectation, agentSocket: null, homeDir: home, ...extra };
}

/** Connects the way the tool does: flags → host-key policy → connect. */
async function sessionFor(flags: string, readConsole?: () => Promise<string | undefined>): Promise<SshSession> {
  const opts = options(flags);
  const expectation = await hostKeyPolicy({
    host: INSTANCE_ADDRESS,
    options: opts,
    homeDir: home,
    ...(readConsole ? { readConsole, consolePollMs: { initial: 5, max: 20 }, consoleTimeoutMs: 2000 } : {}),
  });
  return connectSsh(input(opts, expectation));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a rejection');
  return outcome;
}

/** Flags without the known_hosts file: only the console can vouch for the key. */
const consoleOnlyFlags = () => `-o HostName=127.0.0.1 -p ${sshd.port} -i ${shellQuote(sshd.clientKeyPath)} -l root`;

function zeros(total: number, chunk = 256 * 1024): Readable {
  const block = Buffer.alloc(chunk);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const size = Math.min(chunk, total - sent);
      sent += size;
      this.push(size === chunk ? block : block.subarray(0, size));
    },
  });
}

describe('connecting with the host key in known_hosts', () => {
  it('runs commands and reports exit codes, output and the verified key', async () => {
    const session = await sessionFor(sshd.sshFlags);
    try {
      expect(session).toMatchObject({ host: '127.0.0.1', port: sshd.port, user: 'root' });
      expect(`SHA256:${session.hostKey?.sha256}`).toBe(sshd.hostKeyFingerprintSha256);
      expect(await session.exec('echo hi')).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
      expect(await session.exec('echo out; echo err >&2; exit 7')).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
      expect(await session.exec('kill -TERM $$')).toMatchObject({ code: null, signal: 'SIGTERM' });
      expect((await session.exec('tr a-z A-Z', { stdin: 'hello\n' })).stdout).toBe('HELLO\n');
      expect((await session.exec('wc -c', { stdin: zeros(3 * MB) })).stdout.trim()).toBe(String(3 * MB));
      // Without stdin the command sees end of input at once instead of hanging.
      expect((await session.exec('cat; echo done')).stdout).toBe('done\n');
    } finally {
      await session.close();
    }
  });

  it('quotes arguments so the remote shell sees them byte for byte', async () => {
    const session = await sessionFor(sshd.sshFlags);
    try {
      const words = ['plain', 'two words', "it's", '$HOME', '`id`', '$(id)', '*', '', '-n', 'back\\slash', 'new\nline', '"q"', '~'];
      const result = await session.exec(`printf '%s\\0' ${shellQuote(...words)}`);
      expect(result.stdout.split('\0').slice(0, -1)).toEqual(words);
    } finally {
      await session.close();
    }
  });

  it('refuses a server whose key differs from known_hosts, in one line, without retrying', async () => {
    const otherKey = path.join(dir, 'other_host_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const knownHosts = path.join(dir, 'wrong_known_hosts');
    const [type, blob] = (await readFile(`${otherKey}.pub`, 'utf8')).split(/\s+/);
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    const opts = options(`${consoleOnlyFlags()} -o UserKnownHostsFile=${knownHosts}`);
    const expectation = await hostKeyPolicy({ host: INSTANCE_ADDRESS, options: opts, homeDir: home });
    expect(expectation.kind).toBe('known-keys');

    const retries: string[] = [];
    const error = await rejection(
      waitForSsh({ ...input(opts, expectation), timeoutMs: 10_000, onRetry: (_n, reason) => retries.push(reason) }),
    );
    expect(error).toBeInstanceOf(OffsiteError);
    expect(error.message).toMatch(
      new RegExp(`^host key for 127\\.0\\.0\\.1:${sshd.port} does not match ${knownHosts}:1: the server offered SHA256:\\S+ \\(ssh-ed25519\\)`),
    );
    expect(error.message).toContain(sshd.hostKeyFingerprintSha256);
    expect(error.message).not.toContain('\n');
    expect(retries).toEqual([]);
  });

  it('connects anyway, with a warning, when StrictHostKeyChecking=no and the key differs', async () => {
    const knownHosts = path.join(dir, 'wrong_known_hosts');
    const opts = options(`${consoleOnlyFlags()} -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=no`);
    const expectation = await hostKeyPolicy({ host: INSTANCE_ADDRESS, options: opts, homeDir: home });
    const warnings: string[] = [];
    const session = await connectSsh(input(opts, expectation, { onWarning: (m) => warnings.push(m) }));
    await session.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/does not match .*connecting anyway because StrictHostKeyChecking=no$/);
  });
});

describe('connecting with fingerprints from the console output', () => {
  it('connects when the block carries the server key, after polling past a console without it', async () => {
    let reads = 0;
    const session = await sessionFor(consoleOnlyFlags(), async () => {
      reads++;
      return reads < 3 ? readFileSync(new URL('../../../fixtures/console/no-block.txt', import.meta.url), 'utf8') : sshd.consoleOutputWithFingerprints();
    });
    try {
      expect(reads).toBe(3);
      expect((await session.exec('echo hi')).stdout).toBe('hi\n');
    } finally {
      await session.close();
    }
  });

  it('also accepts the KEYS block form', async () => {
    const session = await sessionFor(consoleOnlyFlags(), async () => sshd.consoleOutputWithFingerprints({ includeKeysBlock: true }));
    await session.close();
  });

  it('refuses when the real fingerprint only appears outside the block', async () => {
    const planted = readFileSync(new URL('../../../fixtures/console/planted.txt', import.meta.url), 'utf8');
    const realLine = `256 ${sshd.hostKeyFingerprintSha256} root@planted (ED25519)`;
    const consoleText = [
      planted,
      `ec2: ${realLine}`,
      `ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----`,
      `ec2: ${realLine}`,
    ].join('\n');
    const error = await rejection(sessionFor(consoleOnlyFlags(), async () => consoleText));
    expect(error).toBeInstanceOf(OffsiteError);
    expect(error.message).toBe(
      `host key for 127.0.0.1:${sshd.port} does not match the fingerprints in the console output: ` +
        `the server offered ${sshd.hostKeyFingerprintSha256} (ssh-ed25519)`,
    );
  });

  it('refuses when no complete block ever appears', async () => {
    const text = `ec2: 256 ${sshd.hostKeyFingerprintSha256} no comment (ED25519)\n-----BEGIN SSH HOST KEY FINGERPRINTS-----\n`;
    const error = await rejection(sessionFor(consoleOnlyFlags(), async () => text));
    expect(error.message).toMatch(/^no SSH host key fingerprints for 127\.0\.0\.1:\d+ appeared in the console output within 2s; /);
  });
});

describe('streaming', () => {
  it('streams 50 MB into cat > /dev/null and proves the bytes with sha256sum', async () => {
    const session = await sessionFor(sshd.sshFlags);
    try {
      const sink = session.spawn('cat > /dev/null');
      await pipeline(zeros(50 * MB), sink.stdin);
      expect(await sink.done).toEqual({ code: 0 });

      const data = randomBytes(50 * MB);
      const hasher = session.spawn('sha256sum');
      let remote = '';
      hasher.stdout.on('data', (chunk: Buffer) => (remote += chunk.toString()));
      await pipeline(Readable.from([data.subarray(0, 20 * MB), data.subarray(20 * MB)]), hasher.stdin);
      expect(await hasher.done).toEqual({ code: 0 });
      expect(remote.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
    } finally {
      await session.close();
    }
  }, 600_000);

  it('reads 50 MB back from dd with the same sha256 as the remote sha256sum', async () => {
    const session = await sessionFor(sshd.sshFlags);
    const file = path.join(dir, 'blob.bin');
    try {
      const made = await session.exec(`head -c ${50 * MB} /dev/urandom > ${shellQuote(file)} && sha256sum ${shellQuote(file)}`);
      expect(made.code).toBe(0);
      const remoteDigest = made.stdout.split(' ')[0];

      const reader = session.spawn(`dd if=${shellQuote(file)} bs=1M`);
      const hash = createHash('sha256');
      let bytes = 0;
      let stderr = '';
      reader.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      reader.stdin.end();
      await pipeline(reader.stdout, async function* (source) {
        for await (const chunk of source) {
          bytes += (chunk as Buffer).length;
          hash.update(chunk as Buffer);
        }
      });
      expect(await reader.done).toEqual({ code: 0 });
      expect(bytes).toBe(50 * MB);
      expect(hash.digest('hex')).toBe(remoteDigest);
      expect(stderr).toMatch(/50\+0 records in/);
    } finally {
      await rm(file, { force: true });
      await session.close();
    }
  }, 600_000);

  it('settles at once when the caller aborts, and the remote command ends with its input', async () => {
    const session = await sessionFor(sshd.sshFlags);
    try {
      const controller = new AbortController();
      const child = session.spawn('cat > /dev/null; : abort-marker', { signal: controller.signal });
      const piping = pipeline(zeros(100_000 * MB), child.stdin).then(
        () => undefined,
        (error: unknown) => error,
      );
      setTimeout(() => controller.abort(), 300);
      const started = Date.now();
      const error = await rejection(child.done);
      expect(error).toBeInstanceOf(InterruptedError);
      // 100 GB would take minutes: only the abort ends it this early, however busy the machine.
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await piping).toBeInstanceOf(Error);
      // The session is still usable, and the remote command is gone (its input was closed).
      expect((await session.exec('echo still here')).stdout).toBe('still here\n');
      let running = 'unknown';
      for (let wait = 10; wait < 2000; wait *= 2) {
        running = (await session.exec(`pgrep -f 'abort-marke[r]' || true`)).stdout;
        if (running === '') break;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      expect(running).toBe('');
    } finally {
      await session.close();
    }
  }, 600_000);
});

describe('closing a session', () => {
  it('rejects a command that was still running, and later calls, with one line', async () => {
    const session = await sessionFor(sshd.sshFlags);
    const child = session.spawn('cat > /dev/null');
    await new Promise<void>((resolve, reject) => child.stdin.write(Buffer.alloc(1024), (e) => (e ? reject(e) : resolve())));
    const early = session.spawn('cat > /dev/null');
    await session.close();
    expect((await rejection(early.done)).message).toMatch(/^SSH session to 127\.0\.0\.1:\d+ was closed (before the command started|while a command was still running)$/);
    const error = await rejection(child.done);
    expect(error.message).toBe(`SSH session to 127.0.0.1:${sshd.port} was closed while a command was still running`);
    const later = await rejection(session.exec('echo hi'));
    expect(later.message).toMatch(new RegExp(`^SSH session to 127\\.0\\.0\\.1:${sshd.port} is closed`));
    await session.close(); // idempotent
  });
});

describe('sudo', () => {
  it('runs the whole command line as root through sudo -n for a non-root login, and not for root', async () => {
    expect(sshd.extraUser?.user).toBe('offsite-test');
    const session = await sessionFor(sshd.extraUser?.sshFlags ?? '');
    const proof = path.join(dir, 'sudo-proof'); // dir is root-only (0700)
    try {
      expect(session.user).toBe('offsite-test');
      expect((await session.exec('id -u')).stdout.trim()).not.toBe('0');
      expect((await session.exec('id -u', { sudo: true })).stdout).toBe('0\n');
      // The redirection is part of the privileged command, not of the user's shell.
      expect((await session.exec(`printf ok > ${shellQuote(proof)}`)).code).not.toBe(0);
      expect((await session.exec(`printf ok > ${shellQuote(proof)}`, { sudo: true })).code).toBe(0);
      expect(await readFile(proof, 'utf8')).toBe('ok');

      const writer = session.spawn(`cat > ${shellQuote(proof)}`, { sudo: true });
      await pipeline(Readable.from([Buffer.from('streamed as root')]), writer.stdin);
      expect(await writer.done).toEqual({ code: 0 });
      expect(await readFile(proof, 'utf8')).toBe('streamed as root');
    } finally {
      await session.close();
    }

    const rootSession = await sessionFor(sshd.sshFlags);
    try {
      expect((await rootSession.exec('echo "[$SUDO_USER]"', { sudo: true })).stdout).toBe('[]\n');
    } finally {
      await rootSession.close();
    }
  });
});

describe('ssh-agent', () => {
  it('logs in with a key held by the agent when no identity file is usable', async () => {
    const socketPath = path.join(dir, 'agent.sock');
    const agent = spawnProcess('ssh-agent', ['-D', '-a', socketPath], { stdio: 'ignore' });
    try {
      for (let wait = 5; !existsSync(socketPath); wait = Math.min(wait * 2, 100)) {
        if (agent.exitCode !== null) throw new Error('ssh-agent exited');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await run('ssh-add', ['-q', sshd.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socketPath } });
      const opts = options(`-o HostName=127.0.0.1 -p ${sshd.port} -l root -o UserKnownHostsFile=${sshd.knownHostsPath}`);
      const identities = await loadIdentities(opts, { homeDir: home, agentSocket: socketPath });
      expect(identities).toEqual({ keys: [], agent: socketPath, warnings: [] });
      const expectation = await hostKeyPolicy({ host: INSTANCE_ADDRESS, options: opts, homeDir: home });
      const session = await connectSsh(input(opts, expectation, { agentSocket: socketPath }));
      expect((await session.exec('echo via agent')).stdout).toBe('via agent\n');
      await session.close();
    } finally {
      agent.kill();
    }
  });
});

describe('login problems are final and clear', () => {
  it('names the key that was refused and does not retry', async () => {
    const wrongKey = path.join(dir, 'wrong_client_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const opts = options(`${consoleOnlyFlags()} -o UserKnownHostsFile=${sshd.knownHostsPath}`);
    opts.identityFiles = [wrongKey];
    const expectation = await hostKeyPolicy({ host: INSTANCE_ADDRESS, options: opts, homeDir: home });
    const retries: string[] = [];
    const error = await rejection(
      waitForSsh({ ...input(opts, expectation), timeoutMs: 10_000, onRetry: (_n, reason) => retries.push(reason) }),
    );
    expect(error.message).toBe(
      `SSH login as root to 127.0.0.1:${sshd.port} was refused (tried ${wrongKey}); pass the instance's key with -i FILE`,
    );
    expect(retries).toEqual([]);
  });

  it('refuses an unreadable or encrypted identity file before connecting, without revealing it', async () => {
    const missing = path.join(dir, 'no-such-key');
    await expect(loadIdentities(options(`-i ${missing}`), { agentSocket: null })).rejects.toThrow(
      `cannot read identity file ${missing}: no such file`,
    );
    const encrypted = path.join(dir, 'encrypted_key');
    const passphrase = 'correct horse battery staple';
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', encrypted]);
    const error = await rejection(loadIdentities(options(`-i ${encrypted}`), { agentSocket: null }));
    expect(error.message).toBe(
      `identity file ${encrypted} is encrypted; load it into ssh-agent (ssh-add ${encrypted}) and make sure SSH_AUTH_SOCK is set`,
    );
    expect(error.message).not.toContain(passphrase);
    // With an agent the encrypted file is left to the agent.
    expect((await loadIdentities(options(`-i ${encrypted}`), { agentSocket: '/tmp/agent.sock' })).keys).toEqual([]);
    // No -i and no default keys in ~/.ssh: say what to do.
    await expect(loadIdentities(options(''), { homeDir: home, agentSocket: null })).rejects.toThrow(
      /^no SSH key to log in with: none of .*id_ed25519.* is usable and SSH_AUTH_SOCK is not set; pass -i FILE$/,
    );
  });
});

describe('waiting for sshd', () => {
  it('retries while the port refuses, then connects once sshd answers', async () => {
    const port = await freePort();
    const knownKey: HostKeyExpectation = {
      kind: 'known-keys',
      keys: [{ type: 'ssh-ed25519', blobBase64: sshd.hostPublicKey.split(' ')[1] ?? '' }],
      source: 'test',
    };
    const opts = options(`-o HostName=127.0.0.1 -p ${port} -i ${sshd.clientKeyPath} -l root`);
    const retries: string[] = [];
    let proxy: Server | undefined;
    const session = await waitForSsh({
      ...input(opts, knownKey),
      timeoutMs: 20_000,
      retryDelayMs: { initial: 50, max: 200 },
      onRetry: (attempt, reason) => {
        retries.push(reason);
        if (attempt === 2) proxy = forward(port, sshd.port);
      },
    });
    try {
      expect(retries.slice(0, 2)).toEqual(['connection refused', 'connection refused']);
      expect((await session.exec('echo up')).stdout).toBe('up\n');
    } finally {
      await session.close();
      proxy?.close();
    }
  });

  it('gives up at the deadline with one line', async () => {
    const port = await freePort();
    const opts = options(`-o HostName=127.0.0.1 -p ${port} -i ${sshd.clientKeyPath}`);
    const started = Date.now();
    const error = await rejection(
      waitForSsh({ ...input(opts, { kind: 'unchecked' }), timeoutMs: 600, retryDelayMs: { initial: 50, max: 100 } }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(error.message).toBe(`SSH on 127.0.0.1:${port} did not answer within 600ms: connection refused`);
  });

  it('honours ConnectTimeout when the TCP handshake never completes', async () => {
    // A listener that never accepts, with its queue full: further SYNs go unanswered.
    const python = spawnProcess('python3', [
      '-c',
      'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)',
    ]);
    try {
      const port = Number(await firstLine(python));
      const fillers: Socket[] = [];
      for (let i = 0; i < 3; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}));
      const opts = options(`-o HostName=127.0.0.1 -p ${port} -i ${sshd.clientKeyPath} -o ConnectTimeout=1`);
      const started = Date.now();
      const error = await rejection(connectSsh(input(opts, { kind: 'unchecked' })));
      const elapsed = Date.now() - started;
      fillers.forEach((s) => s.destroy());
      expect(error).toBeInstanceOf(SshUnavailableError);
      expect(error.message).toBe(`127.0.0.1:${port}: no answer within 1s`);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(60_000); // the kernel's own SYN retries would take over two minutes
    } finally {
      python.kill();
    }
  });

  it('treats a server that never speaks SSH as not ready (handshake timeout)', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const opts = options(`-o HostName=127.0.0.1 -p ${port} -i ${sshd.clientKeyPath}`);
      const error = await rejection(connectSsh(input(opts, { kind: 'unchecked' }, { readyTimeoutMs: 300 })));
      expect(error).toBeInstanceOf(SshUnavailableError);
      expect(error.message).toBe(`127.0.0.1:${port}: no SSH handshake in time`);
    } finally {
      silent.close();
    }
  });

  it('stops at once when aborted', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const opts = options(`-o HostName=127.0.0.1 -p ${port} -i ${sshd.clientKeyPath}`);
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await rejection(
      waitForSsh({ ...input(opts, { kind: 'unchecked' }, { signal: controller.signal }), timeoutMs: 600_000, retryDelayMs: { initial: 120_000, max: 120_000 } }),
    );
    expect(error).toBeInstanceOf(InterruptedError);
    // Half the 120 s retry delay: only an abort that works ends the wait this early.
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

describe('a dropped connection', () => {
  it('is noticed by keepalives when the link goes silent', async () => {
    const port = await freePort();
    const proxy = forward(port, sshd.port);
    const opts = options(`-o HostName=127.0.0.1 -p ${port} -i ${sshd.clientKeyPath} -l root`);
    const expectation: HostKeyExpectation = {
      kind: 'known-keys',
      keys: [{ type: 'ssh-ed25519', blobBase64: sshd.hostPublicKey.split(' ')[1] ?? '' }],
      source: 'test',
    };
    const session = await connectSsh(input(opts, expectation, { keepaliveIntervalMs: 200 }));
    try {
      const child = session.spawn('sleep 30');
      child.stdin.end();
      const started = Date.now();
      freeze(proxy); // packets stop flowing but no FIN or RST arrives
      const error = await rejection(child.done);
      expect(error.message).toBe(`SSH connection to 127.0.0.1:${port} lost (no answer to keepalives)`);
      // The remote command would end by itself after 30 s: only the keepalives end it early.
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      await session.close();
      proxy.close();
    }
  });

  it('makes done reject with one line when sshd dies mid-stream, and the session stays failed', async () => {
    const session = await sessionFor(sshd.sshFlags);
    try {
      const sink = session.spawn('cat > /dev/null');
      let written = 0;
      const source = zeros(10_000 * MB);
      source.on('data', (chunk: Buffer) => {
        written += chunk.length;
      });
      const piping = pipeline(source, sink.stdin).then(
        () => undefined,
        (error: unknown) => error,
      );
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (written > 20 * MB) {
            clearInterval(check);
            resolve();
          }
        }, 5);
      });
      await sshd.dropConnections();
      const error = await rejection(sink.done);
      expect(error).toBeInstanceOf(OffsiteError);
      expect(error.message).toMatch(new RegExp(`^SSH connection to 127\\.0\\.0\\.1:${sshd.port} lost \\([^\\n]+\\)$`));
      // The writer learns too, and later commands fail the same way instead of hanging.
      expect(await piping).toBeInstanceOf(Error);
      const later = await rejection(session.exec('echo hi'));
      expect(later.message).toBe(error.message);
    } finally {
      await session.close();
    }
    // sshd itself is still listening for the next connection.
    const again = await sessionFor(sshd.sshFlags);
    expect((await again.exec('echo back')).stdout).toBe('back\n');
    await again.close();
  }, 600_000);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP forwarder from `port` to `target`, whose traffic freeze() can stop without closing anything. */
function forward(port: number, target: number): Server & { pairs?: Socket[][] } {
  const pairs: Socket[][] = [];
  const server: Server & { pairs?: Socket[][] } = createServer((inbound) => {
    const outbound = connect(target, '127.0.0.1');
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    pairs.push([inbound, outbound]);
  });
  server.pairs = pairs;
  server.listen(port, '127.0.0.1');
  const close = server.close.bind(server);
  server.close = (callback?: (error?: Error) => void) => {
    for (const socket of pairs.flat()) socket.destroy();
    return close(callback);
  };
  return server;
}

function freeze(server: Server & { pairs?: Socket[][] }): void {
  for (const [inbound, outbound] of server.pairs ?? []) {
    inbound?.unpipe();
    outbound?.unpipe();
    inbound?.pause();
    outbound?.pause();
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0] ?? '');
    });
    child.once('exit', () => reject(new Error('helper exited early')));
  });
}
