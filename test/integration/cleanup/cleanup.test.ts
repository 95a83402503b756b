import { AttachVolumeCommand, CreateVolumeCommand, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { hostname } from 'node:os';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { runCli, type CliRun } from '../../helpers/cli.js';
import { endpointSwitch, type EndpointSwitch } from '../../helpers/endpoint-switch.js';
import { liveInstances, volumeIds, volumeTags } from '../../helpers/moto-state.js';
import { pseudoRandom } from '../../helpers/trees.js';

const fx = useSandbox('cleanup');
let relay: EndpointSwitch;
let big: string;
let small: string;

beforeAll(async () => {
  relay = await endpointSwitch(fx.sandbox.moto.endpoint);
  big = join(fx.work, 'big');
  small = join(fx.work, 'small');
  await mkdir(big);
  await mkdir(small);
  for (let i = 0; i < 2; i++) await writeFile(join(big, `chunk-${i}.bin`), pseudoRandom(4 * 1024 * 1024, i + 1));
  await writeFile(join(small, 'note.txt'), 'a small tree\n');
});

afterAll(async () => {
  await relay?.close();
});

type Event = {
  type: string;
  runId?: string;
  phase?: string;
  bytes?: number;
  kind?: string;
  id?: string;
  message?: string;
  exitCode?: number;
  leftBehind?: { kind: string; id: string; region?: string }[];
  cleanup?: string;
  result?: { items?: Item[]; left?: number; removed?: number; leftBehind?: unknown[] };
};
type Item = { kind: string; id: string; runId?: string; action: string; removable: boolean; left: boolean; reason: string };

interface Run {
  result: CliRun;
  events: Event[];
  runId: string;
}

/** Runs offsite with --json; `onTransfer` fires once, when the transfer has moved some bytes. */
async function offsite(args: string[], options: { onTransfer?: (runId: string) => void; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  const events: Event[] = [];
  let runId = '';
  let fired = false;
  const result = await runCli('offsite', [...args, '--json'], {
    env: options.env ?? fx.env,
    onLine: (line) => {
      const event = JSON.parse(line) as Event;
      events.push(event);
      if (event.type === 'run-start') runId = event.runId!;
      if (options.onTransfer && !fired && event.type === 'progress' && (event.phase === 'dd' || event.phase === 'rsync') && (event.bytes ?? 0) > 256 * 1024) {
        fired = true;
        options.onTransfer(runId);
      }
    },
  });
  if (options.onTransfer) expect(fired, `the transfer never got going: ${result.stderr}${result.stdout.slice(-2000)}`).toBe(true);
  return { result, events, runId };
}

/** The pid of the process doing a run's work (its ledger's own), whatever launcher started it. */
async function workerPid(runId: string): Promise<number> {
  const text = await readFile(join(fx.sandbox.env.OFFSITE_STATE_DIR!, 'runs', `${runId}.jsonl`), 'utf8');
  return (JSON.parse(text.split('\n')[0]!) as { pid: number }).pid;
}

async function namedVolume(): Promise<string> {
  const created = await fx.sandbox.ec2().send(new CreateVolumeCommand({ Size: 1, AvailabilityZone: 'us-east-1a' }));
  return created.VolumeId!;
}

function lastResult(run: Run): Item[] {
  const result = run.events.findLast((e) => e.type === 'result')?.result;
  expect(result, run.result.stdout.slice(-2000)).toBeDefined();
  return result!.items ?? [];
}

describe('offsite cleanup after kill -9', () => {
  it('lists the instances and the unfinished volume, removes them with --yes, and keeps the named volume', async () => {
    const named = await namedVolume();
    const first = await offsite(['ebs', small, '-v', named, '--method', 'dd', '--yes']);
    expect(first.result.code, first.result.stderr).toBe(0);
    expect(await volumeTags(fx.sandbox.ec2(), named)).toMatchObject({ 'offsite:state': 'complete', 'offsite:named-by-user': 'true' });

    const killNine = async (runId: string) => void process.kill(await workerPid(runId), 'SIGKILL');
    const onNew = await offsite(['ebs', big, '--method', 'dd', '--bwlimit', '1M'], { onTransfer: (id) => void killNine(id) });
    const newVolume = onNew.events.find((e) => e.type === 'resource-created' && e.kind === 'volume')!.id!;
    const onNamed = await offsite(['ebs', big, '-v', named, '--method', 'dd', '--yes', '--bwlimit', '1M'], { onTransfer: (id) => void killNine(id) });
    expect(onNamed.result.code).not.toBe(0);

    // The interrupted overwrite kept no stale proof, and verify calls it incomplete (3), not failed (1).
    const tags = await volumeTags(fx.sandbox.ec2(), named);
    expect(tags).toMatchObject({ 'offsite:state': 'in-progress', 'offsite:state-run': onNamed.runId });
    expect(tags['offsite:dd-sha256']).toBeUndefined();
    expect(tags['offsite:dd-bytes']).toBeUndefined();
    const verify = await runCli('offsite', ['verify', small, '--volume', named, '--quiet'], { env: fx.env });
    expect(verify.code, verify.stderr).toBe(3);
    expect(verify.stderr).toMatch(/never finished/);

    const listing = await offsite(['cleanup']);
    expect(listing.result.code, listing.result.stderr).toBe(4);
    const items = lastResult(listing);
    const verdict = (kind: string, id: string) => items.find((i) => i.kind === kind && i.id === id);
    const instances = await liveInstances(fx.sandbox.ec2());
    expect(instances).toHaveLength(2);
    for (const id of instances) expect(verdict('instance', id)).toMatchObject({ action: 'terminate', removable: true });
    expect(verdict('volume', newVolume), listing.result.stderr).toMatchObject({ action: 'delete', removable: true, runId: onNew.runId });
    expect(verdict('lock', named)).toMatchObject({ action: 'unlock', removable: true, runId: onNamed.runId });
    expect(items.filter((i) => i.id === named && i.removable && i.kind === 'volume')).toEqual([]);

    const table = await runCli('offsite', ['cleanup'], { env: fx.env });
    expect(table.code).toBe(4);
    expect(table.stdout).toMatch(/^KIND\s+ID\s+RUN\s+AGE\s+ACTION\s+WHY$/m);
    expect(table.stdout).toContain(newVolume);

    const removal = await offsite(['cleanup', '--yes']);
    expect(removal.result.code, removal.result.stderr + removal.result.stdout.slice(-3000)).toBe(0);
    expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
    const remaining = await volumeIds(fx.sandbox.ec2());
    expect(remaining).not.toContain(newVolume);
    expect(remaining).toContain(named);
    expect((await volumeTags(fx.sandbox.ec2(), named))['offsite:lock']).toBeUndefined();
    // The killed runs' local key directories for the data channel are gone too.
    const channelDirs = [...onNew.events, ...onNamed.events].filter((e) => e.type === 'resource-created' && e.kind === 'temp-dir').map((e) => e.id!);
    expect(channelDirs.length, 'the data channel went over OpenSSH, which keeps a key directory').toBeGreaterThan(0);
    for (const dir of channelDirs) await expect(stat(dir)).rejects.toThrow();

    const again = await runCli('offsite', ['cleanup'], { env: fx.env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/nothing is left behind/);
  });
});

describe('named volumes are taken, not shared', () => {
  it('the sandbox refuses to attach a volume that is already attached, as EC2 does (VolumeInUse)', async () => {
    const ec2 = fx.sandbox.ec2();
    const volumeId = await namedVolume();
    const launched = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 2, MaxCount: 2, Placement: { AvailabilityZone: 'us-east-1a' } }));
    const [first, second] = launched.Instances!.map((i) => i.InstanceId!);
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: first, Device: '/dev/sdg' }));
    await expect(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: second, Device: '/dev/sdg' }))).rejects.toMatchObject({ name: 'VolumeInUse' });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first!, second!] }));
  });

  it('a second run on a volume a live run holds is refused with exit 2 naming the holder; afterwards it may run', async () => {
    const named = await namedVolume();
    let second: Run | undefined;
    // The holder is frozen (SIGSTOP) while the second run tries: it holds the volume for as long as that takes.
    const holder = await offsite(['ebs', big, '-v', named, '--method', 'dd', '--yes', '--bwlimit', '1M'], {
      onTransfer: (runId) => {
        void (async () => {
          const pid = await workerPid(runId);
          process.kill(pid, 'SIGSTOP');
          try {
            second = await offsite(['ebs', small, '-v', named, '--method', 'dd', '--yes']);
          } finally {
            process.kill(pid, 'SIGINT');
            process.kill(pid, 'SIGCONT');
          }
        })();
      },
    });
    // Interrupted, or its SSH session timed out while it was frozen: either way it ended and cleaned up.
    expect([130, 1], holder.result.stderr).toContain(holder.result.code);
    expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
    expect(second, 'the second run never finished before the first').toBeDefined();
    expect(second!.result.code).toBe(2);
    expect(second!.events.at(-1)).toMatchObject({ type: 'error', exitCode: 2 });
    expect(second!.events.at(-1)!.message).toContain(`in use by run ${holder.runId}`);
    expect(second!.events.some((e) => e.type === 'resource-created' && e.kind === 'instance')).toBe(false);
    expect((await volumeTags(fx.sandbox.ec2(), named))['offsite:lock']).toBeUndefined();

    const after = await offsite(['ebs', small, '-v', named, '--method', 'dd', '--yes']);
    expect(after.result.code, after.result.stderr).toBe(0);
    expect(await volumeTags(fx.sandbox.ec2(), named)).toMatchObject({ 'offsite:state': 'complete', 'offsite:state-run': after.runId });
  });
});

describe('a clean-up that fails is exit 4', () => {
  it('AWS endpoint gone mid-transfer: exit 4 listing what is left, a second run is refused, cleanup removes it', async () => {
    const named = await namedVolume();
    const viaRelay = { ...fx.env, AWS_ENDPOINT_URL: relay.url };
    const run = await offsite(['ebs', big, '-v', named, '--method', 'dd', '--yes', '--bwlimit', '2M'], { env: viaRelay, onTransfer: () => relay.down() });
    relay.up();
    expect(run.result.code, run.result.stderr).toBe(4);
    const error = run.events.at(-1)!;
    expect(error).toMatchObject({ type: 'error', exitCode: 4, cleanup: `offsite cleanup --run ${run.runId} --yes` });
    const instanceId = run.events.find((e) => e.type === 'resource-created' && e.kind === 'instance')!.id!;
    expect(error.leftBehind).toEqual(expect.arrayContaining([{ kind: 'instance', id: instanceId, region: 'us-east-1' }, { kind: 'lock', id: named, region: 'us-east-1' }]));
    expect(run.events.some((e) => e.type === 'warning' && e.message?.includes(`offsite cleanup --run ${run.runId} --yes`))).toBe(true);
    // The backup itself finished: its result is still reported, with what is left.
    expect(run.events.findLast((e) => e.type === 'result')?.result?.leftBehind).toBeDefined();

    const second = await offsite(['ebs', small, '-v', named, '--method', 'dd', '--yes']);
    expect(second.result.code).toBe(2);
    expect(second.events.at(-1)!.message).toContain(`in use by run ${run.runId}`);

    const removal = await offsite(['cleanup', '--run', run.runId, '--yes']);
    expect(removal.result.code, removal.result.stderr).toBe(0);
    expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
    expect(await volumeIds(fx.sandbox.ec2())).toContain(named);

    const third = await offsite(['ebs', small, '-v', named, '--method', 'dd', '--yes']);
    expect(third.result.code, third.result.stderr).toBe(0);
  });
});

describe('what only the ledger knows', () => {
  it('an unfinished upload, staged copies and a temp dir of a dead run are listed and removed', async () => {
    const s3 = new S3Client({ endpoint: fx.sandbox.moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'leftovers' }));
      const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'leftovers', Key: 'daily/big.tar' }));
      // Asked for as the run was killed: S3 made it, the ledger never learnt its id. Another key's upload is not its.
      await s3.send(new CreateMultipartUploadCommand({ Bucket: 'leftovers', Key: 'daily/cut-short.bin' }));
      const unrelated = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'leftovers', Key: 'daily/cut-short.bin.other' }));
      await s3.send(new PutObjectCommand({ Bucket: 'leftovers', Key: '.offsite-staging/s1/a\u0001b', Body: 'staged' }));
      const tempDir = await mkdtemp(join(fx.work, 'offsite-s3-'));
      // The ledger of a run whose process is gone (pid 2^22 + 1 is above the kernel's pid limit).
      const runId = '20261130-010203-abcdef';
      const line = (entry: object) => JSON.stringify({ time: '2026-11-30T01:02:03.000Z', runId, pid: 4194305, host: hostname(), ...entry });
      await mkdir(join(fx.sandbox.env.OFFSITE_STATE_DIR!, 'runs'), { recursive: true });
      await writeFile(
        join(fx.sandbox.env.OFFSITE_STATE_DIR!, 'runs', `${runId}.jsonl`),
        [
          line({ op: 'created', kind: 'staging-area', id: 's3://leftovers/.offsite-staging/s1/', detail: JSON.stringify({ session: 's1', bucket: 'leftovers' }) }),
          line({ op: 'created', kind: 'multipart-upload', id: upload.UploadId, detail: JSON.stringify({ bucket: 'leftovers', key: 'daily/big.tar' }) }),
          line({ op: 'created', kind: 'temp-dir', id: tempDir }),
          line({ op: 'intent', kind: 'multipart-upload', clientToken: 'token-1', detail: JSON.stringify({ bucket: 'leftovers', key: 'daily/cut-short.bin', session: 's1' }) }),
        ].join('\n') + '\n',
      );

      const listing = await offsite(['cleanup', '--run', runId]);
      expect(listing.result.code, listing.result.stderr).toBe(4);
      expect(lastResult(listing).map((i) => [i.kind, i.action])).toEqual(expect.arrayContaining([['multipart-upload', 'abort'], ['staging-area', 'delete'], ['temp-dir', 'remove']]));
      expect(lastResult(listing).filter((i) => i.kind === 'multipart-upload').map((i) => i.id)).toEqual(expect.arrayContaining([upload.UploadId, 'pending:token-1']));

      const removal = await offsite(['cleanup', '--run', runId, '--yes']);
      expect(removal.result.code, removal.result.stderr + removal.result.stdout.slice(-2000)).toBe(0);
      expect(((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'leftovers' }))).Uploads ?? []).map((u) => u.UploadId)).toEqual([unrelated.UploadId]);
      expect((await s3.send(new ListObjectsV2Command({ Bucket: 'leftovers' }))).Contents ?? []).toEqual([]);
      await expect(stat(tempDir)).rejects.toThrow();

      const again = await offsite(['cleanup', '--run', runId]);
      expect(again.result.code).toBe(0);
    } finally {
      s3.destroy();
    }
  });
});
