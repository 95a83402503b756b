import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EC2Client } from '@aws-sdk/client-ec2';
import { runEbsBackup } from '../../../src/core/ebs/backup.js';
import { defaultTimeouts, type EbsBackupPlan } from '../../../src/core/ebs/plan.js';
import { makeEmitter, OffsiteEventSchema, type OffsiteEvent } from '../../../src/core/events.js';
import { RunLedger, newRunId, outstanding } from '../../../src/core/ledger/ledger.js';
import { parseSshFlags } from '../../../src/ssh/flags.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { liveInstances } from '../../helpers/moto-state.js';
import { describeTree, makeTrickyTree, treeDifferences } from '../../helpers/trees.js';

const run = promisify(execFile);

const fixture = useSandbox('service', { extraUser: true });
let source: string;
let ec2: EC2Client;

beforeAll(async () => {
  source = join(fixture.work, 'source');
  await makeTrickyTree(source, { sparseMiB: 8 });
  ec2 = new EC2Client({
    region: fixture.sandbox.region,
    endpoint: fixture.sandbox.env.AWS_ENDPOINT_URL!,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
});

afterAll(async () => {
  ec2?.destroy();
});

function plan(overrides: Partial<EbsBackupPlan> & { sshFlags: string }): EbsBackupPlan {
  const { sshFlags, ...rest } = overrides;
  return {
    dir: source,
    method: 'dd',
    instance: {},
    ssh: parseSshFlags(sshFlags),
    selfDestructMinutes: 60,
    timeouts: { ...defaultTimeouts },
    transport: 'auto',
    createdBy: 'test',
    ...rest,
  };
}

async function backup(p: EbsBackupPlan, readConsole?: () => Promise<string>) {
  const events: OffsiteEvent[] = [];
  const ledger = await RunLedger.open(newRunId(), join(fixture.work, 'state'));
  const controller = new AbortController();
  const outcome = await runEbsBackup(p, { ec2, ledger, ...(readConsole ? { readConsole: async () => readConsole() } : {}) }, {
    signal: controller.signal,
    emit: makeEmitter((e) => events.push(e)),
  }).then(
    (result) => ({ result, error: undefined }),
    (error: Error) => ({ result: undefined, error }),
  );
  return { ...outcome, events, ledger };
}

async function restoreDd(volumeId: string, bytes: number): Promise<string> {
  const into = await mkdtemp(join(fixture.work, 'restore-'));
  await run('sh', ['-c', `head -c ${bytes} '${fixture.sandbox.volumeFile(volumeId)}' | tar -x --numeric-owner -C '${into}'`]);
  return into;
}

describe('the EBS backup service', () => {
  it('as a non-root login over the ssh2 transport: dd through sudo, verified, and every event valid', async () => {
    const { result, error, events, ledger } = await backup(plan({ sshFlags: fixture.sandbox.sshd.extraUser!.sshFlags, transport: 'ssh2' }));
    expect(error).toBeUndefined();
    expect(events.some((e) => e.type === 'log' && /over the ssh2 session/.test(e.message))).toBe(true);
    for (const event of events) expect(OffsiteEventSchema.safeParse(event).success).toBe(true);
    const restored = await restoreDd(result!.volumeId, result!.bytesTransferred);
    expect(treeDifferences(await describeTree(source), await describeTree(restored))).toEqual([]);
    // The ledger saw every resource and their release; only the new volume is handed over (kept).
    const entries = await ledger.entries();
    expect(outstanding(entries)).toEqual([]);
    expect(entries.filter((e) => e.op === 'released').map((e) => `${e.kind}:${e.action}`)).toEqual(
      expect.arrayContaining(['volume:kept', 'attachment:detached', 'instance:terminated', 'ssh-session:closed']),
    );
    expect(await liveInstances(ec2)).toEqual([]);
  });

  it.each(['ssh2', 'openssh'] as const)('as a non-root login over the %s transport: rsync through sudo, owners and modes kept', async (transport) => {
    const { result, error } = await backup(plan({ sshFlags: fixture.sandbox.sshd.extraUser!.sshFlags, transport, method: 'rsync' }));
    expect(error).toBeUndefined();
    const mnt = await mkdtemp(join(fixture.work, 'mnt-'));
    await run('mount', ['-o', 'loop,ro', fixture.sandbox.volumeFile(result!.volumeId), mnt]);
    try {
      expect(treeDifferences(await describeTree(source), await describeTree(mnt, ['lost+found']))).toEqual([]);
    } finally {
      await run('umount', [mnt]);
    }
  });

  it('verifies the host key from the fingerprint block in the console output', async () => {
    const sshd = fixture.sandbox.sshd;
    const emptyKnownHosts = join(fixture.work, 'empty_known_hosts');
    await writeFile(emptyKnownHosts, '');
    const flags = `-o HostName=127.0.0.1 -p ${sshd.port} -i ${sshd.clientKeyPath} -l root -o UserKnownHostsFile=${emptyKnownHosts}`;
    const { error, events } = await backup(plan({ sshFlags: flags }), async () => sshd.consoleOutputWithFingerprints());
    expect(error).toBeUndefined();
    expect(events.some((e) => e.type === 'log' && /console output of i-/.test(e.message))).toBe(true);
  });

  it('refuses to connect when the console never shows fingerprints, and cleans up', async () => {
    const sshd = fixture.sandbox.sshd;
    const emptyKnownHosts = join(fixture.work, 'empty_known_hosts_2');
    await writeFile(emptyKnownHosts, '');
    const flags = `-o HostName=127.0.0.1 -p ${sshd.port} -i ${sshd.clientKeyPath} -l root -o UserKnownHostsFile=${emptyKnownHosts}`;
    const p = plan({ sshFlags: flags, timeouts: { ...defaultTimeouts, hostKeyMs: 1_500 } });
    const { error, events } = await backup(p, async () => 'Linux version 6.1 … no host keys here\n');
    expect(error?.message).toMatch(/host key/i);
    expect(error?.message).not.toContain('\n');
    expect(events.filter((e) => e.type === 'resource-released').map((e) => (e as { action: string }).action)).toEqual(
      expect.arrayContaining(['deleted', 'terminated']),
    );
    expect(await liveInstances(ec2)).toEqual([]);
  });

  it('refuses a fingerprint planted outside the block (a wrong key never gets a session)', async () => {
    const sshd = fixture.sandbox.sshd;
    const emptyKnownHosts = join(fixture.work, 'empty_known_hosts_3');
    await writeFile(emptyKnownHosts, '');
    const flags = `-o HostName=127.0.0.1 -p ${sshd.port} -i ${sshd.clientKeyPath} -l root -o UserKnownHostsFile=${emptyKnownHosts}`;
    const real = sshd.hostKeyFingerprintSha256;
    const planted = `boot noise\n256 ${real} root@host (ED25519)\n-----BEGIN SSH HOST KEY FINGERPRINTS-----\n256 SHA256:${'A'.repeat(43)} root@other (ED25519)\n-----END SSH HOST KEY FINGERPRINTS-----\n`;
    const { error } = await backup(plan({ sshFlags: flags }), async () => planted);
    expect(error?.message).toMatch(/host key/i);
    expect(await liveInstances(ec2)).toEqual([]);
  });

  it('StrictHostKeyChecking=no connects and warns', async () => {
    const sshd = fixture.sandbox.sshd;
    const flags = `-o HostName=127.0.0.1 -p ${sshd.port} -i ${sshd.clientKeyPath} -l root -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no`;
    await mkdir(join(fixture.work, 'state'), { recursive: true });
    const { error, events } = await backup(plan({ sshFlags: flags }), async () => '');
    expect(error).toBeUndefined();
    expect(events.some((e) => e.type === 'warning' && /not verified/.test(e.message))).toBe(true);
  });
});
