import { describe, expect, it } from 'vitest';
import { makeEmitter } from '../core/events.js';
import { ebsPhases } from '../core/ebs/phases.js';
import { ProgressMeter } from '../core/progress.js';
import { fakeTty } from '../../test/helpers/fake-tty.js';
import { listrPresenter } from './listr.js';

const MiB = 1024 * 1024;

/** The live list of an EBS dd backup on a fake terminal, fed events by hand. */
function live() {
  const tty = fakeTty();
  const presenter = listrPresenter(ebsPhases('dd', { existingVolume: false }), tty.stream);
  const emit = makeEmitter(presenter.sink);
  const step = (phase: string, title: string, status: 'ok' | 'failed' = 'ok', detail?: string): void => {
    emit({ type: 'phase-start', phase, title });
    emit({ type: 'phase-end', phase, status, elapsedMs: 1, ...(detail ? { detail } : {}) });
  };
  return { tty, presenter, emit, step };
}

/** Up to a running dd step, with the instance, volume and attachment made. */
function upToDd(t: ReturnType<typeof live>): void {
  t.step('measure', 'Measure /data');
  t.emit({ type: 'resource-created', kind: 'instance', id: 'i-0abc' });
  t.step('instance', 'Launch t3.micro instance');
  t.emit({ type: 'resource-created', kind: 'volume', id: 'vol-0123' });
  t.step('volume', 'Create 1 GiB gp3 volume');
  t.emit({ type: 'resource-created', kind: 'attachment', id: 'vol-0123@i-0abc' });
  t.step('attach', 'Attach vol-0123 to i-0abc');
  t.step('ssh', 'Connect to 127.0.0.1 over SSH');
  t.step('device', 'Find vol-0123 on the instance');
  t.emit({ type: 'phase-start', phase: 'dd', title: 'Write tar of /data to /dev/nvme1n1 with dd' });
}

describe('listrPresenter', () => {
  it('marks the failed step ✖ with its reason and lists the clean-up as it ran', async () => {
    const t = live();
    upToDd(t);
    await t.tty.waitFor(/Write tar of \/data/);
    t.emit({ type: 'phase-end', phase: 'dd', status: 'failed', elapsedMs: 1, detail: 'the SSH connection dropped' });
    t.emit({ type: 'phase-start', phase: 'cleanup:attachment', title: 'Detach vol-0123' });
    // The clean-up shows while it runs.
    await t.tty.waitFor(/Detach vol-0123/);
    t.emit({ type: 'resource-released', kind: 'attachment', id: 'vol-0123@i-0abc', action: 'detached' });
    t.emit({ type: 'phase-end', phase: 'cleanup:attachment', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'phase-start', phase: 'cleanup:volume', title: 'Delete vol-0123 (backup incomplete)' });
    t.emit({ type: 'resource-released', kind: 'volume', id: 'vol-0123', action: 'deleted' });
    t.emit({ type: 'phase-end', phase: 'cleanup:volume', status: 'ok', elapsedMs: 1 });
    t.step('cleanup:instance', 'Terminate i-0abc', 'failed', 'RequestLimitExceeded');
    t.emit({ type: 'error', message: 'the SSH connection dropped', exitCode: 1 });
    await t.presenter.close();

    const screen = t.tty.screen();
    expect(screen).toContain('✔ Find vol-0123 on the instance');
    expect(screen).toContain('✖ Write tar of /data to /dev/nvme1n1 with dd: the SSH connection dropped');
    expect(screen).toContain('⊘ Check the image read back from the device (O_DIRECT, SHA-256): not run');
    expect(screen).toContain('✔ Detach vol-0123');
    expect(screen).toContain('✔ Delete vol-0123 (backup incomplete)');
    expect(screen).toContain('✖ Terminate i-0abc: RequestLimitExceeded');
    expect(screen).not.toMatch(/not needed/);
    expect(screen).not.toMatch(/✔ Write tar/);
  });

  it('never shows "Terminate the instance: not needed" while the instance still runs; the interrupt notice shows live', async () => {
    const t = live();
    upToDd(t);
    t.presenter.notice('interrupted: cleaning up (press Ctrl-C again to abandon the clean-up)');
    t.emit({ type: 'phase-end', phase: 'dd', status: 'cancelled', elapsedMs: 1, detail: 'interrupted' });
    t.emit({ type: 'phase-start', phase: 'cleanup:attachment', title: 'Detach vol-0123' });
    // The interrupt notice shows at once, under the clean-up step that runs.
    await t.tty.waitFor(/Detach vol-0123\n\s*› interrupted: cleaning up \(press Ctrl-C again/);
    t.emit({ type: 'phase-end', phase: 'cleanup:attachment', status: 'ok', elapsedMs: 1 });
    // Interrupted again: the clean-up stops, the volume and the instance are left.
    t.emit({ type: 'error', message: 'interrupted', exitCode: 130 });
    await t.presenter.close();

    const screen = t.tty.screen();
    expect(screen).toContain('⊘ Write tar of /data to /dev/nvme1n1 with dd: interrupted');
    expect(screen).toContain('✔ Detach vol-0123');
    expect(screen).toContain('⊘ Delete the unfinished volume: not run: vol-0123 still exists');
    expect(screen).toContain('⊘ Terminate the instance: not run: i-0abc still running');
    expect(screen).not.toMatch(/not needed|›/);
  });

  it('shows the ETA only once the rate is stable, and no progress line once the step ended', async () => {
    const t = live();
    let clock = 0;
    const meter = new ProgressMeter('dd', t.emit, 1024 * MiB, { now: () => clock });
    upToDd(t);
    meter.add(64 * 1024); // first chunk, after the connection was set up
    await t.tty.waitFor(/› 64\.0 KiB \/ 1\.0 GiB/);
    for (let i = 0; i < 4; i++) {
      clock += 250;
      meter.add(2.5 * MiB);
    }
    const early = await t.tty.waitFor(/› 10\.1 MiB \/ 1\.0 GiB/);
    expect(early).not.toMatch(/ETA/);
    for (let i = 0; i < 4; i++) {
      clock += 250;
      meter.add(2.5 * MiB);
    }
    const stable = await t.tty.waitFor(/› 20\.1 MiB \/ 1\.0 GiB \(1%\), 10\.0 MiB\/s, ETA 1m41s/);
    expect(stable).not.toMatch(/✔ Write tar/); // still running
    meter.finish();
    t.emit({ type: 'phase-end', phase: 'dd', status: 'ok', elapsedMs: 2_000 });
    meter.finish(); // a figure after the end must not bring the line back
    const ended = await t.tty.waitFor(/✔ Write tar/);
    expect(ended).not.toMatch(/›|ETA|MiB/);
    t.emit({ type: 'result', result: {} });
    await t.presenter.close();

    const frames = t.tty.frames();
    expect(frames.some((f) => /ETA/.test(f))).toBe(true);
    expect(frames.filter((f) => /ETA (0|\d+ms)/.test(f))).toEqual([]);
    expect(t.tty.screen()).not.toMatch(/ETA|›/);
  });
});
