import { createHash } from 'node:crypto';
import { formatDuration } from '../util/format.js';
import { abortReason } from '../util/poll.js';
import { homedir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { OffsiteError } from '../errors.js';
import { parseConsoleHostKeys } from './console-fingerprints.js';
import { defaultKnownHostsFiles, findKnownKeys, type KnownHostKey } from './known-hosts.js';
import type { HostKeyExpectation, HostPublicKey, PresentedHostKey, SshOptions } from './types.js';

/**
 * Deciding which host key to trust. A fresh instance has a fresh key, so trust-on-first-use would accept whoever
 * answers first; instead the key must be one the operator already trusts (known_hosts), or one the instance itself
 * printed to its console at boot, or checking must have been switched off explicitly.
 */

export interface HostKeyPolicyInput {
  /** The instance's address; `options.hostName` (-o HostName) takes precedence, as when connecting. */
  host: string;
  /** Default port when `options.port` is not given; default 22. */
  port?: number;
  options: SshOptions;
  /**
   * Fetches the instance's console output (decoded text), which may not contain the key block yet; undefined when
   * no console exists (the host is not an instance we launched).
   */
  readConsole?: () => Promise<string | undefined>;
  /** Names the console in messages, e.g. `the console output of i-0abc`. */
  consoleSource?: string;
  /** How long to keep polling the console; default 10 minutes (EC2 publishes it with minutes of lag). */
  consoleTimeoutMs?: number;
  /** Backoff between console polls; default 2 s doubling up to 30 s. */
  consolePollMs?: { initial: number; max: number };
  /** Called before each console poll after the first, with the attempt number (for progress). */
  onConsolePoll?: (attempt: number) => void;
  signal?: AbortSignal;
  /** Where `~/.ssh/known_hosts` lives; defaults to the user's home. */
  homeDir?: string;
}

/** Chooses what the host key must match, in this order: known_hosts, StrictHostKeyChecking=no, console, refuse. */
export async function hostKeyPolicy(input: HostKeyPolicyInput): Promise<HostKeyExpectation> {
  const { options } = input;
  // Look the key up under the name we will really connect to, as ssh does after HostName substitution.
  const host = options.hostName ?? input.host;
  const port = options.port ?? input.port ?? 22;
  const files =
    options.userKnownHostsFiles.length > 0
      ? options.userKnownHostsFiles
      : defaultKnownHostsFiles(input.homeDir ?? homedir());
  const known = await findKnownKeys(files, host, port);
  const revoked = known.revoked.map(plainKey);
  const withRevoked = <T extends object>(expectation: T): T =>
    revoked.length > 0 ? { ...expectation, revoked } : expectation;
  const checkingOff = options.strictHostKeyChecking === 'no';

  if (known.keys.length > 0) {
    return withRevoked({
      kind: 'known-keys',
      keys: known.keys.map(plainKey),
      source: describeKnownKeySources(known.keys),
      ...(checkingOff ? { allowMismatch: true } : {}),
    });
  }
  if (checkingOff) return withRevoked({ kind: 'unchecked' });

  const fixHint = 'pass -o UserKnownHostsFile=FILE with its host key, or -o StrictHostKeyChecking=no to skip checking';
  if (!input.readConsole) {
    throw new OffsiteError(`no trusted host key for ${host}:${port}: it is not in ${files.join(' or ')}; ${fixHint}`);
  }
  const source = input.consoleSource ?? 'the console output';
  const timeoutMs = input.consoleTimeoutMs ?? 10 * 60_000;
  const found = await pollConsole(input.readConsole, timeoutMs, input);
  if (!found) {
    throw new OffsiteError(
      `no SSH host key fingerprints for ${host}:${port} appeared in ${source} within ${formatDuration(timeoutMs)}; ${fixHint}`,
    );
  }
  return withRevoked({ kind: 'fingerprints', sha256: found.sha256, md5: found.md5, source, keyTypes: found.keyTypes });
}

async function pollConsole(
  readConsole: () => Promise<string | undefined>,
  timeoutMs: number,
  input: HostKeyPolicyInput,
): Promise<ReturnType<typeof parseConsoleHostKeys>> {
  const { signal } = input;
  const deadline = Date.now() + timeoutMs;
  let wait = input.consolePollMs?.initial ?? 2000;
  const maxWait = input.consolePollMs?.max ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal, 'timed out waiting for the host key');
    if (attempt > 1) input.onConsolePoll?.(attempt);
    const text = await readConsole();
    const found = text === undefined ? undefined : parseConsoleHostKeys(text);
    if (found) return found;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    try {
      await delay(Math.min(wait, left), undefined, signal ? { signal } : undefined);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal, 'timed out waiting for the host key');
      throw error;
    }
    wait = Math.min(wait * 2, maxWait);
  }
}

/** Fingerprints of a host key blob, as `ssh-keygen -l` computes them. */
export function fingerprintHostKey(blob: Buffer): PresentedHostKey {
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const type = blob.toString('latin1', 4, 4 + Math.min(typeLength, Math.max(0, blob.length - 4)));
  return {
    type,
    blobBase64: blob.toString('base64'),
    sha256: createHash('sha256').update(blob).digest('base64').replace(/=+$/, ''),
    md5: (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':'),
  };
}

export interface HostKeyVerifier {
  /** Pass as ssh2's `hostVerifier` (without `hostHash`, so it receives the raw key blob). */
  readonly verify: (key: Buffer) => boolean;
  /** The key the server presented, once it has presented one. */
  presented(): PresentedHostKey | undefined;
  /** One line saying why the presented key was refused, if it was. */
  refusal(): string | undefined;
  /** One line to warn about when a mismatching key was accepted because checking is off. */
  warning(): string | undefined;
}

/** Builds the check for one connection attempt. `target` names the host in messages. */
export function makeHostVerifier(
  expectation: HostKeyExpectation,
  target: { host: string; port: number } = { host: 'the server', port: 22 },
): HostKeyVerifier {
  let presented: PresentedHostKey | undefined;
  let refusal: string | undefined;
  let warning: string | undefined;
  const where = `${target.host}:${target.port}`;

  const verify = (key: Buffer): boolean => {
    presented = fingerprintHostKey(key);
    const offered = `SHA256:${presented.sha256} (${presented.type})`;
    refusal = undefined;
    warning = undefined;
    if (expectation.revoked?.some((k) => k.blobBase64 === presented?.blobBase64)) {
      refusal = `host key for ${where} is marked @revoked in known_hosts: the server offered ${offered}`;
      return false;
    }
    switch (expectation.kind) {
      case 'unchecked':
        return true;
      case 'known-keys': {
        if (expectation.keys.some((k) => sameBlob(k.blobBase64, key))) return true;
        const message = `host key for ${where} does not match ${expectation.source}: the server offered ${offered}`;
        if (expectation.allowMismatch) {
          warning = `${message}; connecting anyway because StrictHostKeyChecking=no`;
          return true;
        }
        refusal = `${message}; if the host was replaced, remove the old entry (ssh-keygen -R '${knownName(target)}')`;
        return false;
      }
      case 'fingerprints': {
        if (expectation.sha256.includes(presented.sha256) || expectation.md5.includes(presented.md5)) return true;
        refusal = `host key for ${where} does not match the fingerprints in ${expectation.source}: the server offered ${offered}`;
        return false;
      }
    }
  };

  return { verify, presented: () => presented, refusal: () => refusal, warning: () => warning };
}

/** Host key algorithms to ask for, those we can check first (as ssh orders them by known_hosts); undefined = any. */
export function preferredHostKeyAlgorithms(expectation: HostKeyExpectation): string[] | undefined {
  const supported = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  let wanted: string[];
  if (expectation.kind === 'known-keys') {
    wanted = expectation.keys.flatMap((k) => (k.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [k.type]));
  } else if (expectation.kind === 'fingerprints') {
    wanted = expectation.keyTypes ?? [];
  } else return undefined;
  const first = [...new Set(wanted)].filter((t) => supported.includes(t));
  if (first.length === 0) return undefined;
  return [...first, ...supported.filter((t) => !first.includes(t))];
}

function sameBlob(blobBase64: string, key: Buffer): boolean {
  return Buffer.from(blobBase64, 'base64').equals(key);
}

function plainKey(key: KnownHostKey): HostPublicKey {
  return { type: key.type, blobBase64: key.blobBase64 };
}

function describeKnownKeySources(keys: KnownHostKey[]): string {
  const places = [...new Set(keys.map((k) => `${k.file}:${k.line}`))];
  return places.length <= 2 ? places.join(', ') : `${places[0]} and ${places.length - 1} more entries`;
}

function knownName(target: { host: string; port: number }): string {
  return target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
}


