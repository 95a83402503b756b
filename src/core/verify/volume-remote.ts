import { OffsiteError } from '../../errors.js';
import { shellQuote } from '../../ssh/quote.js';
import type { SshSession } from '../../ssh/types.js';
import { readOnlyOptions } from './disk-layout.js';

/** What the backup on the volume holds for one path: a regular file's size, or (dd) a hard link to another member. */
export interface RemoteEntry {
  size: number;
  /** dd only: this member is a hard link; its content is the named member's. */
  linkTo?: string;
}

async function runScript(session: SshSession, script: string, what: string, options: { stdin?: string; signal?: AbortSignal } = {}): Promise<string> {
  const result = await session.exec(`sh -c ${shellQuote(script)}`, { sudo: true, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  if (result.code !== 0) throw new OffsiteError(`${what} on the instance failed: ${result.stderr.trim().split('\n').pop() || `exit ${result.code}`}`);
  return result.stdout;
}

/** The dd image: the first `bytes` bytes of the raw device, a GNU tar stream. Read-only. */
function imageCommand(device: string, bytes: number): string {
  return `head -c ${bytes} ${shellQuote(device)}`;
}

/** Lists the tar stream on the device: GNU tar's verbose listing, names escaped C-style so each member is one line. */
export async function listTarImage(session: SshSession, device: string, bytes: number, signal?: AbortSignal): Promise<Map<string, RemoteEntry>> {
  const script = `set -e; export LC_ALL=C; ${imageCommand(device, bytes)} | tar -t -v --numeric-owner --quoting-style=escape -f -`;
  return parseTarListing(await runScript(session, script, 'listing the tar stream', signal ? { signal } : {}));
}

/** `-rw-r--r-- 0/0   12 2024-05-01 10:00 ./name`, and `h… ./name link to ./target` for hard links. */
export function parseTarListing(text: string): Map<string, RemoteEntry> {
  const entries = new Map<string, RemoteEntry>();
  for (const line of text.split('\n')) {
    const m = /^(\S)\S{9}\s+\S+\s+(\d+)\s+\d{4}-\d\d-\d\d \d\d:\d\d (\.\/.*)$/.exec(line);
    if (!m) continue;
    const [, type, size, rest] = m;
    if (type === '-') entries.set(memberPath(rest!), { size: Number(size) });
    else if (type === 'h') {
      const at = rest!.indexOf(' link to ./');
      if (at > 0) entries.set(memberPath(rest!.slice(0, at)), { size: 0, linkTo: memberPath(rest!.slice(at + ' link to '.length)) });
    }
  }
  // A hard link reads as its target's bytes.
  for (const entry of entries.values()) if (entry.linkTo) entry.size = entries.get(entry.linkTo)?.size ?? 0;
  return entries;
}

function memberPath(escaped: string): string {
  return unescapeC(escaped).replace(/^\.\//, '');
}

/** Undoes GNU quoting-style=escape: \\, \n, \t … and octal bytes (UTF-8 names arrive as \303\274 in the C locale). */
export function unescapeC(text: string): string {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, "'": 39, '?': 63, ' ': 32 };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const octal = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else if (simple[text[i + 1]!] !== undefined) {
      bytes.push(simple[text[i + 1]!]!);
      i += 1;
    } else bytes.push(92);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * One pass over the tar stream on the device: GNU tar pipes each named member (sparse files expanded) into
 * sha256sum on the instance; only names and digests come back. Member names go in on stdin, NUL-separated.
 */
export async function hashTarMembers(session: SshSession, device: string, bytes: number, members: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  if (members.length === 0) return new Map();
  const hashScript = 'h=$(sha256sum) && printf "%s\\0%s\\0" "$TAR_FILENAME" "${h%% *}"';
  const script = [
    'set -e; export LC_ALL=C',
    'd=$(mktemp -d); trap \'rm -rf "$d"\' EXIT; cd "$d"',
    'cat > names',
    `printf '%s\\n' ${shellQuote(hashScript)} > hash.sh`,
    `${imageCommand(device, bytes)} | tar -x -f - --null --no-unquote --verbatim-files-from -T names --to-command="sh $d/hash.sh"`,
  ].join('\n');
  const stdin = members.map((m) => `./${m}\0`).join('');
  const out = await runScript(session, script, 'hashing tar members', { stdin, ...(signal ? { signal } : {}) });
  return pairs(out, (name) => name.replace(/^\.\//, ''));
}

function pairs(text: string, name: (raw: string) => string): Map<string, string> {
  const fields = text.split('\0');
  const result = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) result.set(name(fields[i]!), fields[i + 1]!);
  return result;
}

/** Lists the mirror: regular files with sizes, NUL-separated, lost+found left out. Read-only. */
export async function listMirror(session: SshSession, mountPoint: string, signal?: AbortSignal): Promise<Map<string, RemoteEntry>> {
  const mp = shellQuote(mountPoint);
  const script = `find ${mp} -xdev -path ${shellQuote(`${mountPoint}/lost+found`)} -prune -o -type f -printf '%s %P\\0'`;
  const out = await runScript(session, script, 'listing the volume', signal ? { signal } : {});
  const entries = new Map<string, RemoteEntry>();
  for (const record of out.split('\0')) {
    const space = record.indexOf(' ');
    if (space > 0) entries.set(record.slice(space + 1), { size: Number(record.slice(0, space)) });
  }
  return entries;
}

/**
 * SHA-256 of files on the mounted mirror, read on the instance; names in on stdin (NUL-separated), `hash  name`
 * records out (sha256sum -z: NUL-terminated, no escaping). A file that cannot be read is absent from the answer,
 * with sha256sum's complaint in `errors`.
 */
export async function hashMirrorFiles(session: SshSession, mountPoint: string, paths: string[], signal?: AbortSignal): Promise<{ digests: Map<string, string>; errors: string[] }> {
  if (paths.length === 0) return { digests: new Map(), errors: [] };
  const script = `cd ${shellQuote(mountPoint)} && xargs -0 -r sha256sum -z --`;
  const result = await session.exec(`sh -c ${shellQuote(script)}`, { sudo: true, stdin: paths.map((p) => `${p}\0`).join(''), ...(signal ? { signal } : {}) });
  if (result.code !== 0 && result.code !== 123) throw new OffsiteError(`hashing files on the instance failed: ${result.stderr.trim().split('\n').pop() || `exit ${result.code}`}`);
  const digests = new Map<string, string>();
  for (const record of result.stdout.split('\0')) {
    const m = /^\\?([0-9a-f]{64}) [ *](.*)$/s.exec(record);
    if (m) digests.set(m[2]!, m[1]!);
  }
  return { digests, errors: result.stderr.split('\n').filter(Boolean) };
}

/** Mounts the volume's filesystem read-only, without replaying its journal: nothing is written to the backup. */
export async function mountReadOnlyRemote(session: SshSession, device: string, mountPoint: string, fsType: string, signal?: AbortSignal): Promise<void> {
  const script = `mkdir -p ${shellQuote(mountPoint)} && mount -o ${readOnlyOptions(fsType)} ${shellQuote(device)} ${shellQuote(mountPoint)}`;
  await runScript(session, script, `mounting ${device} read-only`, signal ? { signal } : {});
}
