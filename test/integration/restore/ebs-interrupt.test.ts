import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { volumeIds } from '../../helpers/moto-state.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useRestoreFixture, type Event } from './ebs-fixture.js';

const { fx, resultOf, expectNoLeftovers } = useRestoreFixture('interrupt', { tree: false });

describe('an interrupted restore', () => {
  it('Ctrl-C while the image streams: exit 130, TARGET never created, staging removed, instance gone, volume kept', async () => {
    const bulky = join(fx.work, 'bulky');
    await mkdir(bulky);
    for (let i = 0; i < 6; i++) await writeFile(join(bulky, `chunk-${i}.bin`), pseudoRandom(16 * 1024 * 1024, i + 7));
    const made = await runCli('offsite', ['ebs', bulky, '--json'], { env: fx.env, timeoutMs: 600_000 });
    expect(made.code, made.stderr).toBe(0);
    const volumeId = resultOf(made.stdout).volumeId as string;
    const target = join(fx.work, 'interrupted');
    let fired = false;
    const lines: Event[] = [];
    const run = await runCli('offsite', ['restore', '--volume', volumeId, target, '--json'], {
      env: fx.env,
      timeoutMs: 600_000,
      onLine: (line, child) => {
        const event = JSON.parse(line) as Event & { phase?: string; bytes?: number };
        lines.push(event);
        if (!fired && event.type === 'progress' && event.phase === 'restore' && (event.bytes ?? 0) > 0) {
          fired = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(fired, run.stderr).toBe(true);
    expect(run.code).toBe(130);
    expect(lines.at(-1)).toMatchObject({ type: 'error', exitCode: 130 });
    expect(existsSync(target)).toBe(false);
    await expectNoLeftovers();
    expect(await volumeIds(fx.sandbox.ec2())).toContain(volumeId);
  });
});
