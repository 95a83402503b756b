import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { runCli } from '../../helpers/cli.js';
import { liveInstances, volumeIds } from '../../helpers/moto-state.js';
import { pseudoRandom } from '../../helpers/trees.js';

const fx = useSandbox('faults');
let source: string;

beforeAll(async () => {
  source = join(fx.work, 'source');
  await mkdir(source);
  for (let i = 0; i < 8; i++) await writeFile(join(source, `chunk-${i}.bin`), pseudoRandom(4 * 1024 * 1024, i + 1));
});

type Event = { type: string; phase?: string; bytes?: number; message?: string; exitCode?: number; kind?: string; id?: string; action?: string };

/**
 * Starts a throttled backup with --json and, once the transfer has moved some bytes, runs `fault`.
 * Returns the exit code and the events.
 */
async function interruptTransfer(method: 'dd' | 'rsync', fault: (child: { kill(signal: NodeJS.Signals): boolean }) => void) {
  const events: Event[] = [];
  let fired = false;
  const result = await runCli('offsite', ['ebs', source, '--method', method, '--json', '--bwlimit', '1M'], {
    env: fx.env,
    onLine: (line, child) => {
      const event = JSON.parse(line) as Event;
      events.push(event);
      if (!fired && event.type === 'progress' && event.phase === method && (event.bytes ?? 0) > 256 * 1024) {
        fired = true;
        fault(child);
      }
    },
  });
  expect(fired, `the transfer never got going: ${result.stderr}`).toBe(true);
  return { result, events };
}

async function expectNothingLeaked(before: string[]): Promise<void> {
  expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
  expect(await volumeIds(fx.sandbox.ec2())).toEqual(before);
}

describe('faults leave nothing behind', () => {
  it('Ctrl-C during a dd transfer: exit 130, instance terminated, new volume deleted', async () => {
    const before = await volumeIds(fx.sandbox.ec2());
    const { result, events } = await interruptTransfer('dd', (child) => child.kill('SIGINT'));
    expect(result.code).toBe(130);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'error', exitCode: 130, message: 'interrupted' });
    expect(events.filter((e) => e.type === 'resource-released').map((e) => e.action)).toEqual(
      expect.arrayContaining(['detached', 'deleted', 'terminated']),
    );
    await expectNothingLeaked(before);
  });

  it('Ctrl-C during an rsync transfer: exit 130, unmounted, nothing leaked', async () => {
    const before = await volumeIds(fx.sandbox.ec2());
    const { result, events } = await interruptTransfer('rsync', (child) => child.kill('SIGINT'));
    expect(result.code).toBe(130);
    expect(events.at(-1)).toMatchObject({ type: 'error', exitCode: 130 });
    expect(events.some((e) => e.type === 'resource-released' && e.kind === 'mount' && e.action === 'unmounted'), JSON.stringify(events.filter((e) => e.type !== 'progress'))).toBe(true);
    await expectNothingLeaked(before);
  });

  it('SSH connection dropped mid-transfer: one-line error, exit 1, nothing leaked', async () => {
    const before = await volumeIds(fx.sandbox.ec2());
    const { result, events } = await interruptTransfer('dd', () => void fx.sandbox.sshd.dropConnections());
    expect(result.code).toBe(1);
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    expect(last.message).toMatch(/SSH connection .*lost/);
    expect(last.message).not.toContain('\n');
    await expectNothingLeaked(before);
  });

  it('plain output on a pipe carries no cursor or erase codes, and the interrupt is one line', async () => {
    const before = await volumeIds(fx.sandbox.ec2());
    let fired = false;
    const result = await runCli('offsite', ['ebs', source, '--bwlimit', '1M'], {
      env: fx.env,
      onStderrLine: (line, child) => {
        if (!fired && /^\s+dd: /.test(line)) {
          fired = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(fired, result.stderr).toBe(true);
    expect(result.code).toBe(130);
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).not.toMatch(/\u001b\[/);
    expect(result.stderr).toMatch(/^offsite: interrupted$/m);
    await expectNothingLeaked(before);
  });
});
