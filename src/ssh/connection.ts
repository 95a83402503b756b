import { readFile } from 'node:fs/promises';
import { formatDuration } from '../util/format.js';
import { abortReason } from '../util/poll.js';
import { connect as connectTcp, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { PassThrough, Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ClientChannel, ConnectConfig, ParsedKey, ServerHostKeyAlgorithm } from 'ssh2';
import { InterruptedError, OffsiteError } from '../errors.js';
import { makeHostVerifier, preferredHostKeyAlgorithms } from './host-key.js';
import { shellQuote } from './quote.js';
import type {
  ExecOptions,
  ExecResult,
  HostKeyExpectation,
  PresentedHostKey,
  RemoteProcess,
  SshOptions,
  SshSession,
} from './types.js';

/**
 * SSH sessions to the instance over ssh2. Every session is host-key verified before authentication, and a lost
 * connection is noticed (keepalives) and reported as one line instead of a hang.
 */

export interface ConnectSshInput {
  /** The instance's address; `options.hostName` (-o HostName) takes precedence. */
  host: string;
  options: SshOptions;
  /** The login used when neither -l nor -o User is given (the AMI's user). */
  defaultUser: string;
  expectation: HostKeyExpectation;
  /** Aborting cancels the connection attempt, or closes the established session. */
  signal?: AbortSignal;
  /** Limit for the SSH handshake and login once TCP is connected; default 20 s. */
  readyTimeoutMs?: number;
  onWarning?: (message: string) => void;
  /** Where `~` points for default identity files; defaults to the user's home. */
  homeDir?: string;
  /** ssh-agent socket; defaults to $SSH_AUTH_SOCK; null turns the agent off. */
  agentSocket?: string | null;
  /** Keepalive period; the connection counts as lost after three unanswered periods. Default 5 s. */
  keepaliveIntervalMs?: number;
}

export interface WaitForSshInput extends ConnectSshInput {
  /** Give up after this long (the instance's sshd may take minutes to come up). */
  timeoutMs: number;
  /** Backoff between attempts; default 1 s doubling up to 10 s. */
  retryDelayMs?: { initial: number; max: number };
  /** Called when an attempt failed in a way worth retrying, before waiting. */
  onRetry?: (attempt: number, reason: string) => void;
}

/** The server is not (yet) answering: worth retrying while an instance boots. */
export class SshUnavailableError extends OffsiteError {
  /** What went wrong, without the address (e.g. `connection refused`). */
  readonly reason: string;
  constructor(where: string, reason: string) {
    super(`${where}: ${reason}`);
    this.name = 'SshUnavailableError';
    this.reason = reason;
  }
}

/** Ciphers that run through Node's OpenSSL (fast); ssh2's pure-JS chacha20 is slow without its native addon. */
const FAST_CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr'] as const;

const DEFAULT_IDENTITY_FILES = ['.ssh/id_ed25519', '.ssh/id_ecdsa', '.ssh/id_rsa'];

export interface LoadedIdentities {
  keys: { path: string; key: ParsedKey }[];
  /** The agent socket to try after the keys, if any. */
  agent?: string;
  /** Keys that were skipped, one line each. */
  warnings: string[];
}

/**
 * Loads the private keys to log in with: -i files, or OpenSSH's defaults when none is given. A named key that
 * cannot be used is an error before any connection; defaults that are missing are skipped quietly.
 */
export async function loadIdentities(
  options: SshOptions,
  context: { homeDir?: string; agentSocket?: string | null } = {},
): Promise<LoadedIdentities> {
  const explicit = options.identityFiles.length > 0;
  const home = context.homeDir ?? homedir();
  const paths = explicit ? options.identityFiles : DEFAULT_IDENTITY_FILES.map((f) => `${home}/${f}`);
  const agentSocket = context.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : context.agentSocket;
  const agent = agentSocket ? agentSocket : undefined;
  const loaded: LoadedIdentities = { keys: [], warnings: [], ...(agent ? { agent } : {}) };

  for (const path of paths) {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (explicit) throw new OffsiteError(`cannot read identity file ${path}: ${fileErrorReason(error)}`);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') loaded.warnings.push(`skipping ${path}: ${fileErrorReason(error)}`);
      continue;
    }
    const parsed = ssh2.utils.parseKey(data);
    data.fill(0);
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
    if (key instanceof Error || key === undefined) {
      const encrypted = key instanceof Error && /encrypted|passphrase/i.test(key.message);
      // The agent may hold the decrypted key, so an encrypted file is only an error when there is no agent.
      if (encrypted && agent) continue;
      const problem = encrypted
        ? `is encrypted; load it into ssh-agent (ssh-add ${path}) and make sure SSH_AUTH_SOCK is set`
        : 'is not a private key offsite can read';
      if (explicit) throw new OffsiteError(`identity file ${path} ${problem}`);
      loaded.warnings.push(`skipping ${path}: it ${problem}`);
      continue;
    }
    if (!key.isPrivateKey()) {
      if (explicit) throw new OffsiteError(`identity file ${path} is a public key; pass the private key file with -i`);
      continue;
    }
    loaded.keys.push({ path, key });
  }

  if (loaded.keys.length === 0 && !agent) {
    throw new OffsiteError(
      explicit
        ? `no usable identity file among ${paths.join(', ')} and SSH_AUTH_SOCK is not set`
        : `no SSH key to log in with: none of ${paths.join(', ')} is usable and SSH_AUTH_SOCK is not set; pass -i FILE`,
    );
  }
  return loaded;
}

/** Host, port and user a connection will use after -o HostName, -p and -l. */
export function sshTarget(host: string, options: SshOptions, defaultUser: string): { host: string; port: number; user: string } {
  return { host: options.hostName ?? host, port: options.port ?? 22, user: options.user ?? defaultUser };
}

/** Opens one verified, authenticated session. Fails with SshUnavailableError when the server is not answering. */
export async function connectSsh(input: ConnectSshInput): Promise<SshSession> {
  const identities = await loadIdentities(input.options, input);
  for (const warning of identities.warnings) input.onWarning?.(warning);
  return connectWith(input, identities, undefined);
}

/**
 * Connects, retrying with exponential backoff while the server refuses, times out or drops the connection before
 * the handshake (sshd still starting). Host-key and login failures are final at once.
 */
export async function waitForSsh(input: WaitForSshInput): Promise<SshSession> {
  const identities = await loadIdentities(input.options, input);
  for (const warning of identities.warnings) input.onWarning?.(warning);
  const { host, port } = sshTarget(input.host, input.options, input.defaultUser);
  const deadline = Date.now() + input.timeoutMs;
  let wait = input.retryDelayMs?.initial ?? 1000;
  const maxWait = input.retryDelayMs?.max ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectWith(input, identities, deadline);
    } catch (error) {
      if (!(error instanceof SshUnavailableError)) throw error;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new OffsiteError(
          `SSH on ${host}:${port} did not answer within ${formatDuration(input.timeoutMs)}: ${error.reason}`,
        );
      }
      input.onRetry?.(attempt, error.reason);
      try {
        await delay(Math.min(wait, left), undefined, input.signal ? { signal: input.signal } : undefined);
      } catch (delayError) {
        if (input.signal?.aborted) throw abortReason(input.signal, 'SSH operation timed out');
        throw delayError;
      }
      wait = Math.min(wait * 2, maxWait);
    }
  }
}

async function connectWith(
  input: ConnectSshInput,
  identities: LoadedIdentities,
  deadline: number | undefined,
): Promise<SshSession> {
  const { host, port, user } = sshTarget(input.host, input.options, input.defaultUser);
  const { signal } = input;
  if (signal?.aborted) throw abortReason(signal, 'SSH operation timed out');
  const capped = (ms: number) => (deadline === undefined ? ms : Math.max(1, Math.min(ms, deadline - Date.now())));
  const tcpTimeoutMs = capped((input.options.connectTimeoutSeconds ?? 15) * 1000);
  const socket = await openSocket(host, port, tcpTimeoutMs, signal);

  const client = new ssh2.Client();
  const verifier = makeHostVerifier(input.expectation, { host, port });
  const tried: string[] = [];
  const methods: AnyAuthMethod[] = identities.keys.map(({ key }) => ({ type: 'publickey', username: user, key }));
  const labels = identities.keys.map((k) => k.path);
  if (identities.agent) {
    methods.push({ type: 'agent', username: user, agent: identities.agent });
    labels.push('ssh-agent');
  }
  const hostKeyAlgorithms = preferredHostKeyAlgorithms(input.expectation);
  const where = `${host}:${port}`;

  const config: ConnectConfig = {
    sock: socket,
    username: user,
    hostVerifier: verifier.verify,
    authHandler: (methodsLeft, _partial, next) => {
      const method = methods.shift();
      const label = labels.shift();
      if (!method || (methodsLeft && !methodsLeft.includes('publickey'))) return next(false as unknown as AnyAuthMethod);
      if (label) tried.push(label);
      next(method);
    },
    readyTimeout: capped(input.readyTimeoutMs ?? 20_000),
    keepaliveInterval: input.keepaliveIntervalMs ?? 5000,
    keepaliveCountMax: 2,
    algorithms: {
      cipher: [...FAST_CIPHERS],
      ...(hostKeyAlgorithms ? { serverHostKey: hostKeyAlgorithms as ServerHostKeyAlgorithm[] } : {}),
    },
  };

  // One permanent error listener: ssh2 emits 'error' at any time and an unheard one would crash the process.
  let phase: 'connecting' | 'ready' = 'connecting';
  let onConnectingError: (error: Error & { level?: string }) => void = () => {};
  let onSessionError: (error: Error & { level?: string }) => void = () => {};
  client.on('error', (error: Error & { level?: string }) => {
    // Agent and per-key signing errors are followed by the next login method, so they are not the end.
    if (error.level === 'agent') return;
    if (error.level === 'client-authentication' && !/All configured authentication methods failed/.test(error.message)) {
      return;
    }
    if (phase === 'connecting') onConnectingError(error);
    else onSessionError(error);
  });

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      client.removeListener('ready', onReady);
      client.removeListener('close', onClose);
      if (error) {
        client.destroy();
        socket.destroy();
        reject(error);
      } else resolve();
    };
    const onAbort = () => finish(signal ? abortReason(signal, 'SSH operation timed out') : new InterruptedError());
    const onReady = () => {
      phase = 'ready';
      finish();
    };
    const onClose = () => {
      const refusal = verifier.refusal();
      finish(refusal ? new OffsiteError(refusal) : new SshUnavailableError(where, 'the server closed the connection before login'));
    };
    onConnectingError = (error) => finish(classifyConnectError(error, verifier.refusal(), { where, user, tried }));
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', onReady);
    client.once('close', onClose);
    try {
      client.connect(config);
    } catch (error) {
      finish(new OffsiteError(`cannot start SSH to ${where}: ${(error as Error).message}`));
    }
  });

  const warning = verifier.warning();
  if (warning) input.onWarning?.(warning);
  const presented = verifier.presented();
  return makeSession({
    client,
    host,
    port,
    user,
    ...(presented ? { hostKey: presented } : {}),
    ...(signal ? { signal } : {}),
    setErrorHandler: (handler) => {
      onSessionError = handler;
    },
  });
}

function classifyConnectError(
  error: Error & { level?: string; code?: unknown },
  refusal: string | undefined,
  context: { where: string; user: string; tried: string[] },
): Error {
  if (refusal) return new OffsiteError(refusal);
  const { where, user, tried } = context;
  const tryText = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no key was accepted for offering';
  if (error.level === 'client-authentication' || /authentication/i.test(error.message)) {
    return new OffsiteError(`SSH login as ${user} to ${where} was refused (${tryText}); pass the instance's key with -i FILE`);
  }
  if (error.level === 'client-timeout') return new SshUnavailableError(where, 'no SSH handshake in time');
  if (error.level === 'client-socket' || error.level === 'protocol' || typeof error.code === 'number') {
    return new SshUnavailableError(where, socketReason(error));
  }
  return new OffsiteError(`SSH handshake with ${where} failed: ${firstLine(error.message)}`);
}

function openSocket(host: string, port: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port });
    const finish = (error?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener('connect', onConnect);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve(socket);
    };
    const onConnect = () => {
      socket.setNoDelay(true);
      finish();
    };
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOTFOUND') finish(new OffsiteError(`cannot resolve host name ${host}`));
      else finish(new SshUnavailableError(`${host}:${port}`, socketReason(error)));
    };
    const onAbort = () => finish(signal ? abortReason(signal, 'SSH operation timed out') : new InterruptedError());
    const timer = setTimeout(
      () => finish(new SshUnavailableError(`${host}:${port}`, `no answer within ${formatDuration(timeoutMs)}`)),
      timeoutMs,
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface SessionParts {
  client: InstanceType<typeof ssh2.Client>;
  host: string;
  port: number;
  user: string;
  hostKey?: PresentedHostKey;
  signal?: AbortSignal;
  setErrorHandler: (handler: (error: Error & { level?: string }) => void) => void;
}

function makeSession(parts: SessionParts): SshSession {
  const { client, host, port, user, signal } = parts;
  const where = `${host}:${port}`;
  let closing = false;
  let disconnected = false;
  /** Set once the connection is gone for a reason other than close(): every operation then fails with it. */
  let failure: OffsiteError | undefined;
  const markLost = (reason: string) => {
    if (!closing && !failure) failure = new OffsiteError(`SSH connection to ${where} lost (${reason})`);
  };
  parts.setErrorHandler((error) => {
    markLost(error.level === 'client-timeout' ? 'no answer to keepalives' : socketReason(error));
  });
  client.on('end', () => markLost('the server closed the connection'));
  client.on('close', () => {
    disconnected = true;
    markLost('the connection closed');
  });

  const onAbort = () => {
    if (!failure && signal) failure = abortReason(signal, 'SSH operation timed out') as OffsiteError;
    client.end();
    setTimeout(() => client.destroy(), 1000).unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const wrap = (command: string, sudo: boolean | undefined) =>
    sudo && user !== 'root' ? `sudo -n sh -c ${shellQuote(command)}` : command;

  const spawn = (command: string, options: { signal?: AbortSignal; sudo?: boolean } = {}): RemoteProcess =>
    startRemote({
      client,
      command: wrap(command, options.sudo),
      where,
      lost: () => failure,
      closed: () => closing,
      ...(options.signal ? { signal: options.signal } : {}),
    });

  const exec = async (command: string, options: ExecOptions = {}): Promise<ExecResult> => {
    const child = spawn(command, options);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const outputEnded = Promise.all([ended(child.stdout), ended(child.stderr)]);
    const input = feedInput(child.stdin, options.stdin);
    const status = await child.done;
    await outputEnded;
    const inputError = await input;
    if (inputError) throw inputError;
    return {
      code: status.code,
      ...(status.signal ? { signal: status.signal } : {}),
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    };
  };

  const close = async (): Promise<void> => {
    signal?.removeEventListener('abort', onAbort);
    if (closing) return;
    closing = true;
    if (disconnected) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, 3000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  };

  return {
    user,
    host,
    port,
    ...(parts.hostKey ? { hostKey: parts.hostKey } : {}),
    exec,
    spawn,
    close,
  };
}

/** Sends exec's stdin and closes it; resolves with an error only when the local input itself failed. */
async function feedInput(stdin: Writable, input: ExecOptions['stdin']): Promise<Error | undefined> {
  try {
    if (input === undefined || typeof input === 'string' || Buffer.isBuffer(input)) {
      if (input === undefined) stdin.end();
      else stdin.end(input);
      await finished(stdin);
    } else await pipeline(input, stdin);
    return undefined;
  } catch (error) {
    // The remote side closing early or the connection dropping is reported by the exit status or `done`.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE' || error instanceof OffsiteError) return undefined;
    return error as Error;
  }
}

interface RemoteParts {
  client: InstanceType<typeof ssh2.Client>;
  command: string;
  where: string;
  lost: () => OffsiteError | undefined;
  /** Whether close() was called on the session. */
  closed: () => boolean;
  signal?: AbortSignal;
}

/**
 * Starts a command on its own channel. The streams exist at once and are connected when the channel opens, so
 * callers can pipe into them immediately. stdout carries flow control; stderr is drained eagerly because it shares
 * the channel's window and an unread stderr must not stall stdout.
 */
function startRemote(parts: RemoteParts): RemoteProcess {
  const { client, where, signal } = parts;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let channel: ClientChannel | undefined;
  let channelGone: Error | undefined;
  const whenOpen: (() => void)[] = [];
  let pendingWrite: ((error?: Error | null) => void) | undefined;

  const failPending = (error: Error) => {
    channelGone ??= error;
    const callback = pendingWrite;
    pendingWrite = undefined;
    callback?.(error);
    for (const waiter of whenOpen.splice(0)) waiter();
  };
  const withChannel = (action: () => void) => {
    if (channel || channelGone) action();
    else whenOpen.push(action);
  };

  const stdin = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      withChannel(() => {
        if (channelGone || !channel) return callback(channelGone);
        if (channel.write(chunk)) return callback();
        pendingWrite = callback;
        channel.once('drain', () => {
          const pending = pendingWrite;
          pendingWrite = undefined;
          pending?.();
        });
      });
    },
    final(callback) {
      withChannel(() => {
        if (channelGone || !channel) return callback(channelGone);
        channel.end();
        callback();
      });
    },
    destroy(error, callback) {
      // Our side gave up on the input (e.g. a local read error): stop the remote command too.
      if (error && channel && !channelGone) channel.close();
      callback(error);
    },
  });
  // Write errors (the command exited early, the connection dropped) also settle `done`; whoever pipes into stdin
  // still sees them, but an unheard one must not crash the process.
  stdin.on('error', () => {});

  let exitStatus: { code: number | null; signal?: string } | undefined;
  let aborted = false;
  let rejectDone: (error: Error) => void = () => {};
  const onAbort = () => {
    aborted = true;
    // Settle now: sshd keeps a channel open until every process holding its output has exited.
    if (signal) rejectDone(abortReason(signal, 'SSH operation timed out'));
    withChannel(() => {
      if (!channel || channelGone) return;
      // Best effort: sshd delivers the signal to the command's process group, then we let go.
      sendSignal(channel, 'TERM');
      channel.close();
    });
  };

  const done = new Promise<{ code: number | null; signal?: string }>((resolve, reject) => {
    rejectDone = reject;
    const settle = () => {
      signal?.removeEventListener('abort', onAbort);
      const lost = parts.lost();
      if (aborted && signal) return reject(abortReason(signal, 'SSH operation timed out'));
      if (lost) return reject(lost);
      if (!exitStatus && parts.closed()) {
        return reject(new OffsiteError(`SSH session to ${where} was closed while a command was still running`));
      }
      resolve(exitStatus ?? { code: null });
    };
    try {
      client.exec(parts.command, (error, ch) => {
        if (error) {
          const failure =
            parts.lost() ??
            (parts.closed()
              ? new OffsiteError(`SSH session to ${where} was closed before the command started`)
              : new OffsiteError(`cannot start a command on ${where}: ${firstLine(error.message)}`));
          failPending(failure);
          stdout.end();
          stderr.end();
          if (aborted && signal) return reject(abortReason(signal, 'SSH operation timed out'));
          return reject(failure);
        }
        channel = ch;
        ch.on('exit', (code: number | null, signalName?: string) => {
          exitStatus = signalName ? { code, signal: signalName } : { code };
        });
        ch.pipe(stdout);
        ch.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));
        ch.stderr.once('end', () => stderr.end());
        ch.once('close', () => {
          const lost = parts.lost();
          const gone = lost ?? Object.assign(new OffsiteError(`remote command on ${where} stopped reading its input`), { code: 'EPIPE' });
          failPending(gone);
          // ssh2 ends stdout/stderr itself on close (also when the connection died), after any buffered data.
          settle();
        });
        for (const waiter of whenOpen.splice(0)) waiter();
        if (aborted) onAbort();
      });
    } catch (error) {
      const failure = parts.lost() ?? new OffsiteError(`SSH session to ${where} is closed: ${firstLine((error as Error).message)}`);
      failPending(failure);
      stdout.end();
      stderr.end();
      reject(failure);
      return;
    }
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });

  // Callers often await their pipeline first and `done` second; a drop rejects both, and the second must not
  // count as an unhandled rejection (which would end the process) in between.
  done.catch(() => {});
  return { stdin, stdout, stderr, done };
}

/**
 * ssh2's `channel.signal()` is silently skipped once our side has sent EOF (stdin ended), yet the remote command
 * is still running then; the request is legal until the channel closes, so send it through the protocol directly.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const internals = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
  };
  const { outgoing } = internals;
  const protocol = internals._client?._protocol;
  try {
    if (channel.writable) channel.signal(name);
    else if (outgoing?.state === 'eof' && outgoing.id !== undefined && typeof protocol?.signal === 'function') {
      protocol.signal(outgoing.id, name);
    }
  } catch {
    // The connection is already gone; closing the channel is all that is left.
  }
}

function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded) return resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

function socketReason(error: Error & { code?: unknown }): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EPIPE':
      return 'broken pipe';
    default:
      return firstLine(error.message);
  }
}

function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? firstLine((error as Error).message);
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}


