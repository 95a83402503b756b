import { describe, expect, it } from 'vitest';
import { escapeName } from './escape-name.js';

describe('escapeName', () => {
  it('keeps printable names, including non-ASCII UTF-8, as they are', () => {
    expect(escapeName('photos/été 2024.jpg')).toBe('photos/été 2024.jpg');
  });

  it('turns control characters, DEL and backslashes into escapes', () => {
    expect(escapeName('a\u001b[31mred\nb\tc\u007fd\\e')).toBe('a\\e[31mred\\nb\\tc\\x7fd\\\\e');
    expect(escapeName('x\u009by')).toBe('x\\x9by');
  });

  it('shows bytes that are not UTF-8 as \\xNN and keeps the valid runs readable', () => {
    expect(escapeName(Buffer.from([0x6e, 0xe9, 0x2e, 0x74, 0x78, 0x74]))).toBe('n\\xe9.txt');
    expect(escapeName(Buffer.from('ok-é\u0001', 'utf8'))).toBe('ok-é\\x01');
    expect(escapeName(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
  });

  it('neutralises bidi overrides', () => {
    expect(escapeName('invoice\u202Efdp.exe')).toBe('invoice\\u202efdp.exe');
  });
});
