import { describe, expect, it } from 'vitest';
import { canShareAt } from './bulk-transport.js';

describe('canShareAt', () => {
  it('shares a connection through a short, plain socket path', () => {
    expect(canShareAt('/tmp/offsite-ssh-a1B2c3/mux-1')).toBe(true);
  });

  it('does not where OpenSSH would refuse or rewrite the path: too long for a socket, a blank, a %', () => {
    expect(canShareAt(`/tmp/${'d'.repeat(90)}/mux-1`)).toBe(false);
    expect(canShareAt('/tmp/my temp/offsite-ssh-a1B2c3/mux-1')).toBe(false);
    expect(canShareAt('/tmp/100%/offsite-ssh-a1B2c3/mux-1')).toBe(false);
  });
});
