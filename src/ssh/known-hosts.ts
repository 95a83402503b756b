import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { OffsiteError } from '../errors.js';
import type { HostPublicKey } from './types.js';

/**
 * Reading OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), so an operator's existing trust in a
 * host is honoured before anything else.
 */

export type KnownHostsHosts =
  /** `|1|salt|hash`: HMAC-SHA1 of the host name keyed by the salt, so the file does not list the hosts. */
  | { kind: 'hashed'; salt: Buffer; hash: Buffer }
  /** Comma-separated patterns with `*`, `?` and `!` negation. */
  | { kind: 'patterns'; patterns: string[] };

export interface KnownHostsEntry extends HostPublicKey {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  hosts: KnownHostsHosts;
}

export interface KnownHostKey extends HostPublicKey {
  file: string;
  line: number;
}

export interface KnownHostsMatch {
  /** Keys the host may present. */
  keys: KnownHostKey[];
  /** Keys marked `@revoked` for the host: never accepted. */
  revoked: KnownHostKey[];
}

/** OpenSSH's default UserKnownHostsFile. */
export function defaultKnownHostsFiles(homeDir: string): string[] {
  return [`${homeDir}/.ssh/known_hosts`, `${homeDir}/.ssh/known_hosts2`];
}

/** The name a host is filed under: `host` on port 22, `[host]:port` otherwise (lower case, as ssh does). */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** Parses one known_hosts file; malformed lines are skipped, as ssh skips them. */
export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const fields = (lines[index] ?? '').trim().split(/\s+/);
    if (fields[0] === '' || fields[0]?.startsWith('#')) continue;
    let marker: KnownHostsEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hostField, type, blobBase64] = fields;
    if (!hostField || !type || !blobBase64) continue;
    const hosts = parseHosts(hostField);
    if (!hosts || !blobHasType(blobBase64, type)) continue;
    const entry: KnownHostsEntry = { file, line: index + 1, hosts, type, blobBase64 };
    if (marker) entry.marker = marker;
    entries.push(entry);
  }
  return entries;
}

/** Whether an entry's host field names `name` (as built by knownHostsName). */
export function entryMatchesHost(entry: Pick<KnownHostsEntry, 'hosts'>, name: string): boolean {
  const lower = name.toLowerCase();
  if (entry.hosts.kind === 'hashed') {
    const digest = createHmac('sha1', entry.hosts.salt).update(lower).digest();
    return digest.equals(entry.hosts.hash);
  }
  // A negated pattern that matches wins over any positive one (OpenSSH match_hostname).
  let positive = false;
  for (const pattern of entry.hosts.patterns) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, lower)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

/** Keys filed for host:port across the given files, in file order. Missing files count as empty. */
export async function findKnownKeys(files: string[], host: string, port: number): Promise<KnownHostsMatch> {
  const name = knownHostsName(host, port);
  const match: KnownHostsMatch = { keys: [], revoked: [] };
  for (const file of files) {
    const text = await readKnownHostsFile(file);
    for (const entry of parseKnownHosts(text, file)) {
      if (entry.marker === 'cert-authority' || !entryMatchesHost(entry, name)) continue;
      const key: KnownHostKey = { type: entry.type, blobBase64: entry.blobBase64, file, line: entry.line };
      (entry.marker === 'revoked' ? match.revoked : match.keys).push(key);
    }
  }
  return match;
}

async function readKnownHostsFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw new OffsiteError(`cannot read known_hosts file ${file}: ${fileErrorReason(error)}`, undefined, { cause: error });
  }
}

function parseHosts(field: string): KnownHostsHosts | undefined {
  if (field.startsWith('|')) {
    const parts = field.split('|');
    // ['', '1', salt, hash]
    if (parts.length !== 4 || parts[1] !== '1') return undefined;
    const salt = Buffer.from(parts[2] ?? '', 'base64');
    const hash = Buffer.from(parts[3] ?? '', 'base64');
    if (salt.length === 0 || hash.length !== 20) return undefined;
    return { kind: 'hashed', salt, hash };
  }
  const patterns = field.split(',').filter((p) => p !== '' && p !== '!');
  return patterns.length > 0 ? { kind: 'patterns', patterns: patterns.map((p) => p.toLowerCase()) } : undefined;
}

/** A key blob starts with its own type name; checking it rejects truncated or mislabelled lines. */
function blobHasType(blobBase64: string, type: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blobBase64)) return false;
  const blob = Buffer.from(blobBase64, 'base64');
  if (blob.length < 4) return false;
  const length = blob.readUInt32BE(0);
  return length === Buffer.byteLength(type) && blob.toString('latin1', 4, 4 + length) === type;
}

/** `*` is any run of characters, `?` one character; everything else is literal. */
function globMatches(pattern: string, text: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+(){}[\]]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(text);
}

function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? (error as Error).message;
}
