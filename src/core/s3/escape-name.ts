/**
 * A file name or key as it may be shown on a terminal: control characters (C0, DEL, C1) and bytes that are not
 * UTF-8 become \xNN, a backslash becomes \\, so a name can never move the cursor, recolour or retitle the terminal,
 * and two different names never look alike.
 */
export function escapeName(name: string | Uint8Array): string {
  if (typeof name !== 'string') {
    const text = decodeUtf8(name);
    return text === undefined ? escapeBytes(name) : escapeName(text);
  }
  return name.replace(/[\\\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** The name as UTF-8 text, or undefined when it is not valid UTF-8 (S3 keys must be). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : byte === 0x5c ? '\\\\' : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}
