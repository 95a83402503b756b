import { spawn as spawnProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { OffsiteError } from '../errors.js';
import { preferredCiphers } from './ciphers.js';
import { rsyncWord, shellQuote } from './quote.js';
import { serveRsh } from './rsh-server.js';
import type { RemoteProcess, SshOptions, SshSession } from './types.js';

export type TransportChoice = 'auto' | 'openssh' | 'ssh2';

/** How bulk data (the dd stream, rsync) reaches the instance. Control commands always use the ssh2 session. */
export interface BulkTransport {
  readonly name: 'openssh' | 'ssh2';
  spawn(command: string, options: { signal?: AbortSignal; sudo?: boolean }): RemoteProcess;
  /**
   * The `rsync -e` value and, for non-root logins, the `--rsync-path` that runs the server under sudo. Every rsync
   * run with the same endpoint shares one SSH connection (OpenSSH), opened by the first and ended by close().
   */
  rsh(options: { signal?: AbortSignal }): Promise<{ command: string; rsyncPath?: string; remoteStderr(): string; close(): Promise<void> }>;
  close(): Promise<void>;
  /** A local directory the transport keeps until close() (OpenSSH's pinned known_hosts), for the ledger. */
  readonly tempDir?: string;
}

/** The host name OpenSSH checks the pinned key under (HostKeyAlias), whatever address it connects to. */
const PINNED_ALIAS = 'offsite-instance';

/**
 * How long a shared connection outlives its last rsync: long enough for the next pass of the same endpoint to
 * find it, short enough that one left behind by a killed run goes away by itself.
 */
const SHARED_IDLE_SECONDS = 15;
/**
 * Where a shared connection's socket can live: within a Unix socket path's limit (108 bytes on Linux, less the 17
 * characters OpenSSH adds while creating it), and without `%` (OpenSSH expands it) or blanks (a config value ends
 * there). Elsewhere every rsync pass opens its own connection.
 */
export function canShareAt(control: string): boolean {
  return control.length <= 90 && !/[\s%]/.test(control);
}

/**
 * Picks the bulk transport. OpenSSH's client moves data several times faster than ssh2 in pure JavaScript, so it
 * is used when present — pinned to exactly the host key the ssh2 session verified, with the same user, port and
 * keys, and with the user's ~/.ssh/config ignored so nothing else can redirect it.
 */
export async function openBulkTransport(session: SshSession, options: SshOptions, choice: TransportChoice): Promise<BulkTransport> {
  if (choice === 'ssh2') return ssh2Transport(session);
  const ssh = await findOnPath('ssh');
  if (!ssh || !session.hostKey) {
    if (choice === 'openssh') {
      throw new OffsiteError(ssh ? 'cannot use OpenSSH: the session has no verified host key to pin' : 'cannot use OpenSSH: ssh is not installed (use --transport ssh2)');
    }
    return ssh2Transport(session);
  }
  return opensshTransport(ssh, session, options);
}

function ssh2Transport(session: SshSession): BulkTransport {
  return {
    name: 'ssh2',
    spawn: (command, options) => session.spawn(command, options),
    rsh: async ({ signal }) => {
      const endpoint = await serveRsh(session, { sudo: true, ...(signal ? { signal } : {}) });
      return { command: endpoint.rshCommand, remoteStderr: endpoint.remoteStderr, close: endpoint.close };
    },
    close: async () => undefined,
  };
}

async function opensshTransport(ssh: string, session: SshSession, options: SshOptions): Promise<BulkTransport> {
  const key = session.hostKey!;
  const dir = await mkdtemp(join(tmpdir(), 'offsite-ssh-'));
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `${PINNED_ALIAS} ${key.type} ${key.blobBase64}\n`, { mode: 0o600 });
  const ciphers = await preferredCiphers();
  const args = [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `HostKeyAlias=${PINNED_ALIAS}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `HostKeyAlgorithms=${key.type}`,
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=3',
    '-o', `ConnectTimeout=${options.connectTimeoutSeconds ?? 30}`,
    '-o', 'LogLevel=ERROR',
    ...(ciphers ? ['-o', `Ciphers=${ciphers}`] : []),
    '-p', String(session.port),
    '-l', session.user,
    ...(options.identityFiles.length > 0 ? ['-o', 'IdentitiesOnly=yes', ...options.identityFiles.flatMap((f) => ['-i', f])] : []),
    '-T',
  ];
  const where = `${session.host}:${session.port}`;
  let endpoints = 0;
  const sudo = (command: string, wanted?: boolean): string =>
    wanted && session.user !== 'root' ? `sudo -n sh -c ${shellQuote(command)}` : command;

  return {
    name: 'openssh',
    tempDir: dir,
    spawn(command, spawnOptions) {
      const child = spawnProcess(ssh, [...args, session.host, sudo(command, spawnOptions.sudo)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      const onAbort = (): void => void child.kill('SIGTERM');
      spawnOptions.signal?.addEventListener('abort', onAbort, { once: true });
      const done = new Promise<{ code: number | null; signal?: string }>((resolve, reject) => {
        child.on('error', (error) => reject(new OffsiteError(`cannot run ssh: ${error.message}`)));
        child.on('close', (code, signal) => {
          spawnOptions.signal?.removeEventListener('abort', onAbort);
          // 255 is ssh's own failure: the connection, not the remote command.
          if (code === 255) return reject(new OffsiteError(`SSH connection to ${where} lost: ${lastLine(stderr) || 'ssh exited 255'}`));
          resolve(signal ? { code, signal } : { code });
        });
      });
      // Keep a copy of ssh's own messages for the one-line error; the caller reads the stream too.
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4096)));
      return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, done };
    },
    rsh: async () => {
      // A new connection (sshd's process, the key exchange) took longer here than a checksum pass over 2,000
      // small files: the passes of one endpoint (a restore's copy and its proof) share a connection.
      const control = join(dir, `mux-${++endpoints}`);
      const shared = canShareAt(control) ? ['-o', 'ControlMaster=auto', '-o', `ControlPath=${control}`, '-o', `ControlPersist=${SHARED_IDLE_SECONDS}`] : [];
      return {
        // rsync names the host "offsite-instance"; HostName says where that really is.
        command: [ssh, ...args, ...shared, '-o', `HostName=${session.host}`].map(rsyncWord).join(' '),
        ...(session.user !== 'root' ? { rsyncPath: 'sudo -n rsync' } : {}),
        remoteStderr: () => '',
        close: () => (shared.length > 0 ? endSharedConnection(ssh, control) : Promise.resolve()),
      };
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Asks the shared connection's master to end (there is none if no rsync ever started: that is fine). */
function endSharedConnection(ssh: string, control: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawnProcess(ssh, ['-F', '/dev/null', '-o', `ControlPath=${control}`, '-O', 'exit', PINNED_ALIAS], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
