import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect } from 'vitest';
import { OffsiteEventSchema } from '../../../src/core/events.js';
import { runCli } from '../../helpers/cli.js';
import { liveInstances } from '../../helpers/moto-state.js';
import { useSandbox, type SandboxFixture } from '../../helpers/use-sandbox.js';
import { describeEveryKind, describedDifferences, makeEveryKindTree, type Described } from './every-kind.js';

const GiB = 1024 ** 3;

export type Event = { type: string; result?: Record<string, unknown>; message?: string; exitCode?: number };

/**
 * What the EBS restore test files share: a sandbox, and (unless `tree` is false) a source with every kind of
 * entry, a 1 GiB sparse file among them. Split over files so that their round trips run side by side.
 */
export function useRestoreFixture(name: string, options: { tree?: boolean } = {}) {
  const fx = useSandbox(`restore-${name}`) as SandboxFixture & { source: string; expected: Described };
  beforeAll(async () => {
    fx.source = join(fx.work, 'source');
    await mkdir(fx.source);
    if (options.tree !== false) {
      await makeEveryKindTree(fx.source, { sparseBytes: GiB, specials: true, nonUtf8: true, hardLinks: true, newlineName: true });
      fx.expected = await describeEveryKind(fx.source);
    }
  }, 300_000);

  const events = (stdout: string): Event[] => {
    const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
    for (const event of lines) expect(OffsiteEventSchema.safeParse(event).error).toBeUndefined();
    return lines;
  };
  const resultOf = (stdout: string): Record<string, unknown> => {
    const result = events(stdout).find((e) => e.type === 'result')?.result;
    expect(result).toBeDefined();
    return result!;
  };
  return {
    fx,
    events,
    resultOf,
    async backup(args: string[]): Promise<Record<string, unknown>> {
      const run = await runCli('offsite', ['ebs', fx.source, '--json', ...args], { env: fx.env, timeoutMs: 600_000 });
      expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
      return resultOf(run.stdout);
    },
    restore: (args: string[]) => runCli('offsite', ['restore', ...args], { env: fx.env, timeoutMs: 600_000 }),
    /** The restored tree equals the source in every respect, and the 1 GiB sparse file is still mostly hole. */
    async expectSameTree(target: string): Promise<void> {
      const actual = await describeEveryKind(target);
      expect(describedDifferences(fx.expected, actual)).toEqual([]);
      expect(actual.allocated.get('sparse.img')!).toBeLessThan(16 * 1024 * 1024);
    },
    /** Nothing of the restore is left beside TARGET: no staging directory, no instance. */
    async expectNoLeftovers(): Promise<void> {
      expect((await readdir(fx.work)).filter((n) => n.includes('offsite-restore'))).toEqual([]);
      expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
    },
  };
}
