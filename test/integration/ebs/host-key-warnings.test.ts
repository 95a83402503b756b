import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectVerified } from '../../../src/core/instance/connect.js';
import { defaultTimeouts } from '../../../src/core/ebs/plan.js';
import type { EventInput } from '../../../src/core/events.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

const run = promisify(execFile);

const fixture = useSandbox('hostkey');
let dir: string;

beforeAll(async () => {
  dir = join(fixture.work, 'data');
  await mkdir(dir);
  await writeFile(join(dir, 'file'), 'some data\n');
});

describe('host-key relaxations are warnings in every face', () => {
  it('StrictHostKeyChecking=no with a changed key: warned (plain and JSON), and --verbose never claims it will be checked', async () => {
    // known_hosts names 127.0.0.1:port with a key the sandbox's sshd does not have: the key "changed".
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(fixture.work, 'other')]);
    const other = (await readFile(join(fixture.work, 'other.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    const changed = join(fixture.work, 'changed_known_hosts');
    await writeFile(changed, `[127.0.0.1]:${fixture.sandbox.sshd.port} ${other}\n`);
    const env = isolatedEnv({ ...fixture.sandbox.env, EC2_BACKUP_FLAGS_SSH: `${fixture.sandbox.env.EC2_BACKUP_FLAGS_SSH} -o UserKnownHostsFile=${changed} -o StrictHostKeyChecking=no` });

    const plain = await runCli('offsite', ['ebs', dir, '--verbose'], { env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/warning: StrictHostKeyChecking=no: a host key of 127\.0\.0\.1 that differs from .* will be accepted/);
    expect(plain.stderr).toMatch(/warning: .*connecting anyway because StrictHostKeyChecking=no/);
    expect(plain.stderr).not.toMatch(/will be checked/);
    expect(plain.stderr).not.toMatch(/pinned to the verified host key/);

    const json = await runCli('offsite', ['ebs', dir, '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    const warnings = json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; message?: string }).filter((e) => e.type === 'warning');
    expect(warnings.some((w) => /connecting anyway because StrictHostKeyChecking=no/.test(w.message ?? ''))).toBe(true);
  });
});

describe('waiting for console fingerprints', () => {
  it('says what it waits for, for how long so far, and the limit', async () => {
    const events: EventInput[] = [];
    const attempt = connectVerified({
      address: '127.0.0.1',
      options: { identityFiles: [], userKnownHostsFiles: [join(fixture.work, 'no-such-known-hosts')] },
      defaultUser: 'ec2-user',
      instanceId: 'i-0123456789abcdef0',
      readConsole: async () => 'cloud-init is still running\n',
      timeouts: { ...defaultTimeouts, hostKeyMs: 2_500 },
      signal: new AbortController().signal,
      emit: (event) => events.push(event),
    });
    await expect(attempt).rejects.toThrow(/no SSH host key fingerprints .* appeared in the console output of i-0123456789abcdef0 within 2\.5s/);
    const waiting = events.filter((e) => e.type === 'log' && /waiting for SSH host key fingerprints/.test(e.message));
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]).toMatchObject({ message: expect.stringMatching(/in the console output of i-0123456789abcdef0: \S+ of at most 2\.5s$/) });
  });
});
