import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConsoleHostKeys, stripConsolePrefix } from './console-fingerprints.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/console/${name}`, import.meta.url), 'utf8');

describe('parseConsoleHostKeys on real-looking console output', () => {
  it('reads Amazon Linux 2023 (ec2: prefixes, KEYS block without prefix)', () => {
    const found = parseConsoleHostKeys(fixture('amazon-linux-2023.txt'));
    expect(found?.fingerprints).toEqual([
      { bits: 256, hash: 'SHA256', fingerprint: 'uQZbiz/YBK2WtjTL3bn385uSwhp3igEh/jkhAyzPb3I', label: 'ECDSA' },
      { bits: 256, hash: 'SHA256', fingerprint: '2O7yydJWBlpaPmsruTYNwWwpSQDhmO8m6e0ZMSzATUM', label: 'ED25519' },
    ]);
    expect(found?.keys.map((k) => k.type)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    // The KEYS block hashes to the same fingerprints, so the set does not grow.
    expect(found?.sha256.sort()).toEqual(
      ['uQZbiz/YBK2WtjTL3bn385uSwhp3igEh/jkhAyzPb3I', '2O7yydJWBlpaPmsruTYNwWwpSQDhmO8m6e0ZMSzATUM'].sort(),
    );
    expect(found?.md5).toEqual([]);
    expect(found?.keyTypes).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });

  it('reads Ubuntu 24.04 (kernel timestamps and cloud-init tags, a kernel line inside the block)', () => {
    const found = parseConsoleHostKeys(fixture('ubuntu-24.04.txt'));
    expect(found?.fingerprints.map((f) => [f.bits, f.fingerprint, f.label, f.comment])).toEqual([
      [256, 'N9T02JazkDmKXQGdP9oh7lpKUhxFNgpmXco2G7OcMD8', 'ECDSA', 'root@ip-172-31-33-10'],
      [256, 'npLorq3fkILiHpzfsJqKRmCXIACXN8z1z7hCKrc96aw', 'ED25519', 'root@ip-172-31-33-10'],
      [3072, 'E/l0H0aYSDDWZ3gbIVYopn32iqFeKGSZzIPQr/DHoV0', 'RSA', 'root@ip-172-31-33-10'],
    ]);
    expect(found?.keys.map((k) => [k.type, k.comment])).toEqual([
      ['ecdsa-sha2-nistp256', 'root@ip-172-31-33-10'],
      ['ssh-ed25519', 'root@ip-172-31-33-10'],
      ['ssh-rsa', 'root@ip-172-31-33-10'],
    ]);
    expect(found?.sha256).toHaveLength(3);
    expect(found?.keyTypes).toContain('rsa-sha2-512');
  });

  it('reads Debian 12 (syslog <14> headers)', () => {
    const found = parseConsoleHostKeys(fixture('debian-12.txt'));
    expect(found?.sha256.sort()).toEqual(
      [
        '2FMsyPrgeNKTLlHoB9KTX9n+z8/Mw8BdpXFjRl+JmY8',
        'QLCayKEmcl9Ck16NtjCcaGHbGQzFKgxaxvhzlglPAP0',
        'tCPjtH+kZ1C1TM0lrnbhkEvC+kkSTgkEFvorDIoKYXc',
      ].sort(),
    );
    expect(found?.keys).toHaveLength(3);
  });

  it('reads old MD5 fingerprints (colon hex, key file as comment)', () => {
    const found = parseConsoleHostKeys(fixture('old-md5.txt'));
    expect(found?.sha256).toEqual([]);
    expect(found?.md5).toEqual([
      'ad:64:b1:1f:82:4c:52:ce:bf:57:f0:49:cf:0e:75:44',
      '37:fb:90:81:33:7b:43:e5:60:7b:47:fe:00:79:1c:70',
      '0d:72:b1:62:3d:2b:9a:1f:f0:56:46:71:06:b0:a3:8a',
    ]);
    expect(found?.fingerprints[1]).toMatchObject({ bits: 2048, label: 'RSA', comment: '/etc/ssh/ssh_host_rsa_key.pub' });
  });

  it('finds nothing in a boot log without the block (moto answers like this)', () => {
    expect(parseConsoleHostKeys(fixture('no-block.txt'))).toBeUndefined();
    expect(parseConsoleHostKeys('')).toBeUndefined();
  });

  it('trusts only the last complete block, never lines around it or an unfinished block after it', () => {
    const found = parseConsoleHostKeys(fixture('planted.txt'));
    expect(found?.sha256).toEqual(['8KA79W/fe/SvPQ7Go+gAia+Z5rTAsXdDHdHbvlrrhvw']);
    expect(found?.keys.map((k) => k.blobBase64)).toEqual(['AAAAC3NzaC1lZDI1NTE5AAAAIDwkA4/SR89yaPA8xWowseAn3cEer1Bv3a8UGU6tPo2y']);
    expect(JSON.stringify(found)).not.toContain('yKGuxMpwtg2ICeosfJpfLHL1w6Ttv57QeowwhVRoptU');
  });
});

describe('parseConsoleHostKeys on edge cases', () => {
  const fp1 = 'SHA256:uQZbiz/YBK2WtjTL3bn385uSwhp3igEh/jkhAyzPb3I';
  const fp2 = 'SHA256:2O7yydJWBlpaPmsruTYNwWwpSQDhmO8m6e0ZMSzATUM';
  const block = (print: string, prefix = 'ec2: ') =>
    [
      `${prefix}-----BEGIN SSH HOST KEY FINGERPRINTS-----`,
      `${prefix}256 ${print} no comment (ED25519)`,
      `${prefix}-----END SSH HOST KEY FINGERPRINTS-----`,
    ].join('\r\n');

  it('takes the later of two complete blocks (a reboot prints again)', () => {
    expect(parseConsoleHostKeys(`${block(fp1)}\r\nreboot\r\n${block(fp2)}\r\n`)?.sha256).toEqual([fp2.slice(7)]);
  });

  it('restarts at a second BEGIN inside an unfinished block', () => {
    const text = ['-----BEGIN SSH HOST KEY FINGERPRINTS-----', `256 ${fp1} x (ED25519)`, block(fp2, '')].join('\n');
    expect(parseConsoleHostKeys(text)?.sha256).toEqual([fp2.slice(7)]);
  });

  it('ignores a block with nothing usable, and lines that only look like fingerprints', () => {
    const text = [
      '-----BEGIN SSH HOST KEY FINGERPRINTS-----',
      '256 SHA256:tooShort no comment (ED25519)',
      '256 zz:zz no comment (RSA)',
      `256 ${fp1} no parenthesised type`,
      '-----END SSH HOST KEY FINGERPRINTS-----',
    ].join('\n');
    expect(parseConsoleHostKeys(text)).toBeUndefined();
  });

  it('requires the marker to be the whole line after the prefix', () => {
    const text = ['say -----BEGIN SSH HOST KEY FINGERPRINTS----- now', `256 ${fp1} x (ED25519)`, '-----END SSH HOST KEY FINGERPRINTS-----'].join('\n');
    expect(parseConsoleHostKeys(text)).toBeUndefined();
  });

  it('strips console prefixes', () => {
    expect(stripConsolePrefix('[   12.345678] cloud-init[1234]: 256 SHA256:x (ED25519)\r')).toBe('256 SHA256:x (ED25519)');
    expect(stripConsolePrefix('<14>Nov 22 03:05:09 ec2: -----END-----')).toBe('-----END-----');
    expect(stripConsolePrefix('<14>Nov  2 03:05:09 ip-10-0-0-1 cloud-init: ssh-rsa AAAA')).toBe('ssh-rsa AAAA');
    expect(stripConsolePrefix('ec2: ')).toBe('');
    expect(stripConsolePrefix('ssh-ed25519 AAAA c')).toBe('ssh-ed25519 AAAA c');
  });
});
