import { describe, expect, it } from 'vitest';
import { hasAesInstructions, preferredCiphers } from './ciphers.js';

describe('bulk cipher preference', () => {
  it('puts AES-GCM first where the CPU has AES instructions (x86 flags, arm64 Features)', async () => {
    expect(hasAesInstructions('processor\t: 0\nflags\t\t: fpu vme sse2 aes avx2 sha_ni\n')).toBe(true);
    expect(hasAesInstructions('processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2\n')).toBe(true);
    expect(await preferredCiphers(async () => 'flags\t\t: fpu aes\n')).toMatch(/^aes128-gcm@openssh\.com,.*chacha20-poly1305@openssh\.com/);
  });

  it("keeps ssh's default without them, or when the CPU cannot be asked", async () => {
    expect(hasAesInstructions('flags\t\t: fpu vme sse2 aesni_like_but_not\nmodel name\t: aes-less\n')).toBe(false);
    expect(await preferredCiphers(async () => 'flags\t\t: fpu sse2\n')).toBeUndefined();
    expect(await preferredCiphers(() => Promise.reject(new Error('ENOENT')))).toBeUndefined();
  });
});
