import { describe, expect, it } from 'vitest';
import { makeEmitter } from '../core/events.js';
import { cleanupPhases } from '../core/cleanup/phases.js';
import { jobPhases } from '../core/export/phases.js';
import type { PhaseSpec } from '../core/phases.js';
import { verifyS3Phases } from '../core/verify/phases.js';
import { fakeTty } from '../../test/helpers/fake-tty.js';
import { listrPresenter } from './listr.js';
import { PhaseBoard, type Outcome } from './phase-board.js';

/** A board over `phases`, recording rows as a task list would draw them: in order, with titles and fates. */
function board(phases: PhaseSpec[]) {
  const rows = phases.filter((p) => !p.many).map((p) => p.id);
  const titles = new Map<string, string>();
  const outputs = new Map<string, string | undefined>();
  const fates = new Map<string, Outcome>();
  const b = new PhaseBoard(phases, {
    add: (key, title, before) => {
      rows.splice(before === undefined ? rows.length : rows.indexOf(before), 0, key);
      titles.set(key, title);
    },
    title: (key, title) => titles.set(key, title),
    output: (key, text) => outputs.set(key, text),
    settle: (key, outcome) => fates.set(key, outcome),
  });
  const emit = makeEmitter((event) => b.handle(event));
  const step = (phase: string, title: string, status: 'ok' | 'failed' = 'ok', detail?: string): void => {
    emit({ type: 'phase-start', phase, title });
    emit({ type: 'phase-end', phase, status, elapsedMs: 1, ...(detail ? { detail } : {}) });
  };
  /** Each row as `fate title`. */
  const drawn = () => rows.map((key) => `${fates.get(key)?.kind ?? 'running'} ${titles.get(key) ?? key}`);
  return { b, emit, step, drawn, outputs, fates };
}

describe('a family of steps (PhaseSpec.many)', () => {
  it('gains a row each time one of its phases starts, even the same id again, in the order they ran', () => {
    const t = board(cleanupPhases());
    t.step('scan', 'Look for what offsite left behind');
    t.step('cleanup:temp-dir', 'Remove temp-dir /tmp/offsite-a');
    t.step('cleanup:multipart-upload', 'Abort multipart-upload u-1', 'failed', 'NoSuchBucket');
    t.step('cleanup:temp-dir', 'Remove temp-dir /tmp/offsite-b');
    t.emit({ type: 'result', result: {} });
    expect(t.drawn()).toEqual([
      'ok Look for what offsite left behind',
      'ok Remove temp-dir /tmp/offsite-a',
      'failed Abort multipart-upload u-1',
      'ok Remove temp-dir /tmp/offsite-b',
    ]);
    expect([...t.fates.values()].find((o) => o.kind === 'failed')).toEqual({ kind: 'failed', reason: 'NoSuchBucket' });
  });

  it('draws nothing when none of its phases ran (nothing to remove is not a skipped step)', () => {
    const t = board(cleanupPhases());
    t.step('scan', 'Look for what offsite left behind');
    t.emit({ type: 'result', result: {} });
    expect(t.drawn()).toEqual(['ok Look for what offsite left behind']);
  });

  it('goes at its place in the list, but never above a step that already began', () => {
    const t = board([{ id: 'record', title: 'Record' }, { id: 'cleanup:', title: 'Release', many: true }, { id: 'rsync', title: 'Mirror' }]);
    t.step('record', 'Record');
    t.step('cleanup:snapshot', 'Delete snapshot');
    t.step('rsync', 'Mirror');
    t.step('cleanup:lock', 'Release the lock');
    t.emit({ type: 'result', result: {} });
    expect(t.drawn()).toEqual(['ok Record', 'ok Delete snapshot', 'ok Mirror', 'ok Release the lock']);
  });

  it('a job state per row; the transfer, a figure of no step of its own, shows under the state that runs', () => {
    const t = board(jobPhases('get-status', true));
    t.emit({ type: 'phase-start', phase: 'get-status', title: 'Watch job J until it is over' });
    t.emit({ type: 'phase-start', phase: 'job-state', title: 'J: New' });
    t.emit({ type: 'phase-end', phase: 'job-state', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'phase-start', phase: 'job-state', title: 'J: InProgress' });
    t.emit({ type: 'progress', phase: 'data-transfer', bytes: 1024, total: 4096 });
    expect([...t.outputs.values()].filter(Boolean)).toEqual(['1.0 KiB / 4.0 KiB (25%)']);
    t.emit({ type: 'phase-end', phase: 'job-state', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'phase-start', phase: 'job-state', title: 'J: Complete' });
    t.emit({ type: 'phase-end', phase: 'job-state', status: 'ok', elapsedMs: 1, detail: 'success' });
    t.emit({ type: 'phase-end', phase: 'get-status', status: 'ok', elapsedMs: 3 });
    t.emit({ type: 'result', result: {} });
    expect(t.drawn()).toEqual(['ok Watch job J until it is over', 'ok J: New', 'ok J: InProgress', 'ok J: Complete: success']);
    expect([...t.outputs.values()].filter(Boolean)).toEqual([]);
  });
});

describe('a step the result judges (PhaseSpec.judge)', () => {
  const report = (differ: number) => ({ exitCode: differ ? 3 : 0, counts: { match: 4 - differ, differ, 'missing-remotely': 0, 'missing-locally': 0, unreadable: 0, unverified: 0 }, checks: [] });

  it('fails the comparison when the report finds files that differ, after the clean-up that followed it', () => {
    const t = board(verifyS3Phases('image'));
    t.step('open', 'Open disk.img read-only');
    t.step('list', 'List /mnt/x');
    t.step('compare', 'Compare 4 files');
    t.step('cleanup:mount', 'Unmount /mnt/x');
    t.emit({ type: 'result', result: report(1) });
    expect(t.drawn()).toEqual(['ok Open disk.img read-only', 'ok List /mnt/x', 'failed Compare 4 files', 'ok Unmount /mnt/x']);
    expect(t.fates.get('compare')).toEqual({ kind: 'failed', reason: '1 differ' });
  });

  it('keeps ✔ when everything matched, and when the run ended without a report', () => {
    const matched = board(verifyS3Phases('dir'));
    matched.step('list', 'List /data');
    matched.step('compare', 'Compare 4 files');
    matched.emit({ type: 'result', result: report(0) });
    expect(matched.fates.get('compare')).toEqual({ kind: 'ok' });

    const stopped = board(verifyS3Phases('dir'));
    stopped.step('list', 'List /data');
    stopped.step('compare', 'Compare 4 files');
    stopped.emit({ type: 'error', message: 'interrupted', exitCode: 130 });
    expect(stopped.fates.get('compare')).toEqual({ kind: 'ok' });
  });
});

describe('listrPresenter with a family', () => {
  it('draws each removal as it starts, below the look-up, and ends each with its own mark', async () => {
    const tty = fakeTty();
    const live = listrPresenter(cleanupPhases(), tty.stream);
    const emit = makeEmitter(live.sink);
    emit({ type: 'phase-start', phase: 'scan', title: 'Look for what offsite left behind in us-east-1' });
    emit({ type: 'phase-end', phase: 'scan', status: 'ok', elapsedMs: 1 });
    emit({ type: 'phase-start', phase: 'cleanup:instance', title: 'Terminate instance i-1' });
    await tty.waitFor(/✔ Look for what offsite left behind in us-east-1\n\S+ Terminate instance i-1/);
    emit({ type: 'phase-end', phase: 'cleanup:instance', status: 'ok', elapsedMs: 1 });
    emit({ type: 'phase-start', phase: 'cleanup:volume', title: 'Delete volume vol-1' });
    emit({ type: 'phase-end', phase: 'cleanup:volume', status: 'failed', elapsedMs: 1, detail: 'VolumeInUse' });
    emit({ type: 'result', result: {} });
    await live.close();
    expect(tty.screen()).toBe(
      ['✔ Look for what offsite left behind in us-east-1', '✔ Terminate instance i-1', '✖ Delete volume vol-1: VolumeInUse'].join('\n'),
    );
  });
});
