import { createHash } from 'node:crypto';
import type { HostPublicKey } from './types.js';

/**
 * cloud-init prints the instance's SSH host keys to the serial console at first boot, between BEGIN/END markers.
 * The console is written by the instance, so only lines inside a complete block count, and only the last complete
 * block: text outside it (or an unfinished block after it) may come from any process and is never trusted.
 */

const FINGERPRINTS_BEGIN = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
const FINGERPRINTS_END = '-----END SSH HOST KEY FINGERPRINTS-----';
const KEYS_BEGIN = '-----BEGIN SSH HOST KEY KEYS-----';
const KEYS_END = '-----END SSH HOST KEY KEYS-----';

/** One line of `ssh-keygen -l` output as cloud-init prints it. */
export interface ConsoleFingerprint {
  bits?: number;
  hash: 'SHA256' | 'MD5';
  /** SHA256: base64 without padding; MD5: lower-case hex pairs with colons. */
  fingerprint: string;
  /** The label in parentheses: `ED25519`, `ECDSA`, `RSA`, `DSA`. */
  label: string;
  comment?: string;
}

export interface ConsoleHostKeys {
  /** From the last complete FINGERPRINTS block. */
  fingerprints: ConsoleFingerprint[];
  /** From the last complete KEYS block, when the image prints one. */
  keys: (HostPublicKey & { comment?: string })[];
  /** SHA256 fingerprints of both blocks together (keys hashed), without the `SHA256:` prefix. */
  sha256: string[];
  /** MD5 fingerprints from the FINGERPRINTS block. */
  md5: string[];
  /** OpenSSH host key algorithms that match what the console lists, most specific first. */
  keyTypes: string[];
}

/**
 * Finds the host keys in console output (already base64-decoded). Returns undefined when no complete block with at
 * least one usable line is present yet, which is normal for minutes after launch.
 */
export function parseConsoleHostKeys(consoleText: string): ConsoleHostKeys | undefined {
  const lines = consoleText.split('\n').map(stripConsolePrefix);
  const fingerprintLines = lastCompleteBlock(lines, FINGERPRINTS_BEGIN, FINGERPRINTS_END) ?? [];
  const keyLines = lastCompleteBlock(lines, KEYS_BEGIN, KEYS_END) ?? [];

  const fingerprints = fingerprintLines.map(parseFingerprintLine).filter((f) => f !== undefined);
  const keys = keyLines.map(parseKeyLine).filter((k) => k !== undefined);
  if (fingerprints.length === 0 && keys.length === 0) return undefined;

  const sha256 = new Set<string>();
  const md5 = new Set<string>();
  for (const f of fingerprints) (f.hash === 'SHA256' ? sha256 : md5).add(f.fingerprint);
  for (const k of keys) sha256.add(createHash('sha256').update(Buffer.from(k.blobBase64, 'base64')).digest('base64').replace(/=+$/, ''));

  const keyTypes = new Set<string>();
  for (const k of keys) for (const t of algorithmsForKeyType(k.type)) keyTypes.add(t);
  for (const f of fingerprints) for (const t of algorithmsForLabel(f.label, f.bits)) keyTypes.add(t);

  return { fingerprints, keys, sha256: [...sha256], md5: [...md5], keyTypes: [...keyTypes] };
}

/**
 * Removes what the console puts in front of cloud-init's text: kernel timestamps `[   12.345678] `, syslog
 * headers `<14>Nov 22 03:05:11 host ec2: `, and tags such as `ec2: ` or `cloud-init[1234]: `; also a trailing CR.
 */
export function stripConsolePrefix(line: string): string {
  let rest = line.replace(/\r$/, '');
  const prefixes = [
    /^\[\s*\d+\.\d+\]\s*/,
    /^<\d{1,3}>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d )?(?:[\w.-]+ )?[\w./-]+(?:\[\d+\])?: ?/,
    /^[\w./-]+(?:\[\d+\])?:(?: |$)/,
  ];
  for (let changed = true; changed; ) {
    changed = false;
    for (const prefix of prefixes) {
      const match = prefix.exec(rest);
      if (match && match[0].length > 0) {
        rest = rest.slice(match[0].length);
        changed = true;
      }
    }
  }
  return rest.trim();
}

function lastCompleteBlock(lines: string[], begin: string, end: string): string[] | undefined {
  let current: string[] | undefined;
  let last: string[] | undefined;
  for (const line of lines) {
    if (line === begin) current = [];
    else if (line === end) {
      if (current) last = current;
      current = undefined;
    } else current?.push(line);
  }
  return last;
}

const SHA256_FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})$/;
const MD5_FINGERPRINT = /^(?:MD5:)?((?:[0-9a-fA-F]{2}:){15}[0-9a-fA-F]{2})$/;

/** `256 SHA256:abc… root@host (ED25519)` or `2048 a1:b2:…:ff /etc/ssh/ssh_host_rsa_key.pub (RSA)`. */
function parseFingerprintLine(line: string): ConsoleFingerprint | undefined {
  const match = /^(?:(\d{3,5})\s+)?(\S+)(?:\s+(.*?))?\s+\(([A-Z0-9-]+)\)$/.exec(line);
  if (!match) return undefined;
  const [, bits, print = '', comment, label = ''] = match;
  const sha = SHA256_FINGERPRINT.exec(print);
  const md5 = sha ? undefined : MD5_FINGERPRINT.exec(print);
  if (!sha && !md5) return undefined;
  const entry: ConsoleFingerprint = sha
    ? { hash: 'SHA256', fingerprint: sha[1] ?? '', label }
    : { hash: 'MD5', fingerprint: (md5?.[1] ?? '').toLowerCase(), label };
  if (bits) entry.bits = Number(bits);
  if (comment && comment !== 'no comment') entry.comment = comment;
  return entry;
}

/** `ssh-ed25519 AAAA… [comment]`, accepted only when the blob names the same type. */
function parseKeyLine(line: string): (HostPublicKey & { comment?: string }) | undefined {
  const match = /^([a-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*))?$/.exec(line);
  if (!match) return undefined;
  const [, type = '', blobBase64 = '', comment] = match;
  const blob = Buffer.from(blobBase64, 'base64');
  if (blob.length < 4 || blob.readUInt32BE(0) !== type.length || blob.toString('latin1', 4, 4 + type.length) !== type) {
    return undefined;
  }
  return comment ? { type, blobBase64, comment } : { type, blobBase64 };
}

function algorithmsForKeyType(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

function algorithmsForLabel(label: string, bits: number | undefined): string[] {
  switch (label) {
    case 'ED25519':
      return ['ssh-ed25519'];
    case 'ECDSA':
      return [`ecdsa-sha2-nistp${bits === 384 || bits === 521 ? bits : 256}`];
    case 'RSA':
      return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    default:
      return [];
  }
}
