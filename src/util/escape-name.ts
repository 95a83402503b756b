/**
 * A file name (or any text that came from outside) made safe to print on one line: control characters,
 * DEL, backslashes and bytes that are not UTF-8 become C-style escapes, so a name can never move the cursor,
 * recolour the terminal or split a log line. Printable text, including non-ASCII UTF-8, stays as it is.
 */
export function escapeName(name: string | Uint8Array): string {
  if (typeof name !== 'string') return escapeBytes(Buffer.isBuffer(name) ? name : Buffer.from(name.buffer, name.byteOffset, name.byteLength));
  let out = '';
  for (const char of name) {
    const code = char.codePointAt(0)!;
    out += escapeCodePoint(char, code);
  }
  return out;
}

const NAMED: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x1b: '\\e', 0x5c: '\\\\' };

function escapeCodePoint(char: string, code: number): string {
  if (NAMED[code]) return NAMED[code];
  // C0, DEL, C1 (0x9b is a one-byte CSI on some terminals) and lone surrogates from a bad decode.
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd';
  // Bidi overrides and isolates reorder what follows them on screen.
  if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return `\\u${code.toString(16)}`;
  return char;
}

/** Bytes from the file system: valid UTF-8 runs are kept readable, every other byte is shown as \xNN. */
function escapeBytes(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    out += escapeName(bytes.subarray(i, i + length).toString('utf8'));
    i += length;
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  const second = bytes[i + 1]!;
  // Overlong forms and surrogates are invalid even with well-formed continuation bytes.
  if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return 0;
  return length;
}

/** The name as UTF-8 text, or undefined when it is not valid UTF-8 (S3 keys must be). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
