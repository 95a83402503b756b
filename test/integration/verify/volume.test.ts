import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OffsiteEventSchema } from '../../../src/core/events.js';
import { runCli } from '../../helpers/cli.js';
import { liveInstances, volumeIds, volumeTags } from '../../helpers/moto-state.js';
import { makeTrickyTree, pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { reportOf, verdicts } from './helpers.js';

const fx = useSandbox('verify-volume');
let source: string;
const volumes: Record<'dd' | 'rsync', string> = { dd: '', rsync: '' };

/** deep.bin in the tricky tree: 300 000 bytes no other file shares, so its first bytes locate it on a volume. */
const DEEP = 'dir with spaces/nested deeper/deep.bin';
const DEEP_HEAD = pseudoRandom(300_000, 1).subarray(0, 64);

beforeAll(async () => {
  source = join(fx.work, 'source');
  await makeTrickyTree(source, { sparseMiB: 8 });
  // The backups, made by the real binary as a user would.
  for (const method of ['dd', 'rsync'] as const) {
    const result = await runCli('offsite', ['ebs', source, '--method', method, '--quiet'], { env: fx.env });
    expect(result.code, result.stderr).toBe(0);
    volumes[method] = result.stdout.trim();
  }
});

/**
 * Flips one byte of deep.bin's content inside the volume's backing file, in every copy of it there: a file system
 * may hold a stale copy in free blocks (a file rewritten in place moves), and only the live one counts.
 */
async function corruptDeepBin(volumeId: string): Promise<void> {
  const handle = await open(fx.sandbox.volumeFile(volumeId), 'r+');
  let found = 0;
  try {
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    for (let position = 0; ; position += chunk.length - DEEP_HEAD.length) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead < DEEP_HEAD.length) break;
      for (let at = chunk.subarray(0, bytesRead).indexOf(DEEP_HEAD); at >= 0; at = chunk.subarray(0, bytesRead).indexOf(DEEP_HEAD, at + 1)) {
        if (bytesRead === chunk.length && at >= chunk.length - DEEP_HEAD.length) break; // the next chunk has it whole
        const target = position + at + 1000;
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, target);
        byte[0]! ^= 0x20;
        await handle.write(byte, 0, 1, target);
        found++;
      }
      if (bytesRead < chunk.length) break;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (found === 0) throw new Error(`${DEEP} not found on ${volumeId}`);
}

async function expectNothingLeft(): Promise<void> {
  expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
  // The backup volumes are the user's: never deleted, and free again.
  expect(await volumeIds(fx.sandbox.ec2())).toEqual(expect.arrayContaining([volumes.dd, volumes.rsync]));
}

const verify = (volumeId: string, args: string[] = ['--all']) => runCli('offsite', ['verify', '--volume', volumeId, source, '--json', ...args], { env: fx.env });

describe('offsite verify --volume', () => {
  it.each(['dd', 'rsync'] as const)('proves a %s backup made by offsite ebs against the directory', async (method) => {
    const result = await verify(volumes[method]);
    for (const line of result.stdout.trim().split('\n')) expect(OffsiteEventSchema.safeParse(JSON.parse(line)).success, line).toBe(true);
    const report = reportOf(result.stdout);
    expect(result.code, JSON.stringify(report.files.filter((f) => f.category !== 'match'))).toBe(0);
    // Every regular file of the tree (the hard link too), read back from the volume and hashed.
    expect(report.counts.match).toBe(report.localFiles);
    expect(report.localFiles).toBe(11);
    expect(report.counts['missing-locally']).toBe(0);
    if (method === 'dd') {
      expect(report.checks).toEqual([{ what: expect.stringMatching(/hash to its offsite:dd-sha256 tag/), ok: true }]);
      expect(report.files[0]!.evidence).toEqual(['SHA-256 of the tar member on the volume']);
    } else {
      expect(report.files[0]!.evidence).toEqual(['SHA-256 of the copy on the volume']);
    }
    await expectNothingLeft();
  });

  it('Ctrl-C with the volume attached: exit 130, the instance terminated, the volume detached and kept', async () => {
    let fired = false;
    const seen: { type: string; kind?: string; action?: string }[] = [];
    const result = await runCli('offsite', ['verify', '--volume', volumes.rsync, source, '--all', '--json'], {
      env: fx.env,
      onLine: (line, child) => {
        const event = JSON.parse(line) as { type: string; kind?: string; action?: string };
        seen.push(event);
        if (!fired && event.type === 'resource-created' && event.kind === 'attachment') {
          fired = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(fired).toBe(true);
    expect(result.code).toBe(130);
    expect(seen.filter((e) => e.type === 'resource-released').map((e) => `${e.kind}:${e.action}`)).toEqual(expect.arrayContaining(['attachment:detached', 'instance:terminated']));
    const found = await fx.sandbox.ec2().send(new DescribeVolumesCommand({ VolumeIds: [volumes.rsync] }));
    expect(found.Volumes?.[0]?.State).toBe('available');
    await expectNothingLeft();
  });

  it('finds a byte corrupted in the dd image: the image check fails and the file differs (exit 3)', async () => {
    const tags = await volumeTags(fx.sandbox.ec2(), volumes.dd);
    await corruptDeepBin(volumes.dd);
    const result = await verify(volumes.dd);
    expect(result.code).toBe(3);
    const report = reportOf(result.stdout);
    expect(report.checks[0]).toMatchObject({ ok: false, detail: expect.stringContaining(tags['offsite:dd-sha256']!) });
    expect(Object.entries(verdicts(report)).filter(([, c]) => c !== 'match')).toEqual([[DEEP, 'differ']]);
    await expectNothingLeft();
  });

  it('finds a byte corrupted in the rsync mirror, with a reproducible sample (exit 3)', async () => {
    await corruptDeepBin(volumes.rsync);
    const result = await runCli('offsite', ['verify', '--volume', volumes.rsync, source, '--sample', '100%'], { env: fx.env });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(new RegExp(`^\\* ${DEEP}: SHA-256 of the copy on the volume differs: [0-9a-f]{64} here, [0-9a-f]{64} on the volume$`, 'm'));
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Assertions run: 22, succeeded: 21, failed: 1');
    const sampled = async () => reportOf((await verify(volumes.rsync, ['--sample', '3', '--seed', 'same'])).stdout).files.map((f) => f.path);
    expect(await sampled()).toEqual(await sampled());
    await expectNothingLeft();
  });
});
