import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { PROGRESS_LEFT, runLive, type LiveRun } from './live-terminal.js';

const fx = useSandbox('cleanup-live');
let run: LiveRun | undefined;

afterAll(async () => {
  await run?.tty.close();
});

/** The ledger of a run whose process is gone (pid 2^22 + 1 is above the kernel's pid limit), holding `entries`. */
async function deadRun(runId: string, entries: object[]): Promise<void> {
  const line = (entry: object) => JSON.stringify({ time: '2026-11-30T01:02:03.000Z', runId, pid: 4194305, host: hostname(), ...entry });
  await mkdir(join(fx.env.OFFSITE_STATE_DIR!, 'runs'), { recursive: true });
  await writeFile(join(fx.env.OFFSITE_STATE_DIR!, 'runs', `${runId}.jsonl`), `${entries.map(line).join('\n')}\n`);
}

describe('offsite cleanup shows the live task list on a terminal', () => {
  it('--yes: the look-up, then a row per item as it is removed; one that cannot be removed is ✖ with its reason', async () => {
    const first = await mkdtemp(join(fx.work, 'offsite-s3-'));
    const second = await mkdtemp(join(fx.work, 'offsite-s3-'));
    const runId = '20261130-010203-abc123';
    await deadRun(runId, [
      { op: 'created', kind: 'temp-dir', id: first },
      { op: 'created', kind: 'multipart-upload', id: 'upload-1', detail: JSON.stringify({ bucket: 'cleanup-live-nowhere', key: 'daily/big.tar' }) },
      { op: 'created', kind: 'temp-dir', id: second },
    ]);
    run = await runLive('offsite-cleanup-live', fx.work, fx.env, ['cleanup', '--run', runId, '--yes']);
    expect(await run.exitCode()).toBe('4');
    const screen = await run.tty.screen();
    expect(screen).toMatch(/✔ Look for what offsite left behind in /);
    expect(screen).toContain(`✔ Remove temp-dir ${first}`);
    expect(screen).toContain(`✔ Remove temp-dir ${second}`);
    expect(screen.replace(/\n\s+/g, ' ')).toMatch(/✖ Abort multipart-upload upload-1: .+/);
    expect(screen).not.toMatch(/[⊘↓]/);
    expect(screen).not.toMatch(PROGRESS_LEFT);
    // The table and the summary come after the list.
    expect(screen).toMatch(/^KIND\s+ID\s+RUN\s+AGE\s+ACTION\s+WHY$/m);
    expect(screen).toMatch(/^offsite: removed 2, 1 still left behind/m);
    await expect(stat(first)).rejects.toThrow();
    await expect(stat(second)).rejects.toThrow();
  });
});
