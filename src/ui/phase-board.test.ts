import { describe, expect, it } from 'vitest';
import { makeEmitter, type EventInput } from '../core/events.js';
import { ebsPhases } from '../core/ebs/phases.js';
import { PhaseBoard, type Outcome } from './phase-board.js';

/** A board over the EBS dd list, recording what a task list would show. */
function board(method: 'dd' | 'rsync' = 'dd') {
  const settled: [string, Outcome][] = [];
  const outputs = new Map<string, string | undefined>();
  const titles = new Map<string, string>();
  const b = new PhaseBoard(ebsPhases(method, { existingVolume: false }), {
    title: (id, title) => titles.set(id, title),
    output: (id, text) => outputs.set(id, text),
    settle: (id, outcome) => settled.push([id, outcome]),
  });
  const emit = makeEmitter((event) => b.handle(event));
  const ok = (phase: string): void => {
    emit({ type: 'phase-start', phase, title: `Do ${phase}` });
    emit({ type: 'phase-end', phase, status: 'ok', elapsedMs: 1 });
  };
  return { b, emit, ok, settled, outputs, titles, fate: (id: string) => settled.find(([s]) => s === id)?.[1] };
}

const created = (kind: 'instance' | 'volume' | 'attachment', id: string): EventInput => ({ type: 'resource-created', kind, id });
const released = (kind: 'instance' | 'volume' | 'attachment', id: string, action: 'terminated' | 'deleted' | 'detached' | 'kept'): EventInput => ({
  type: 'resource-released',
  kind,
  id,
  action,
});

/** Everything up to the transfer, with the instance, volume and attachment made. */
function upToTransfer(t: ReturnType<typeof board>): void {
  t.ok('measure');
  t.emit({ type: 'phase-start', phase: 'instance', title: 'Launch' });
  t.emit(created('instance', 'i-1'));
  t.emit({ type: 'phase-end', phase: 'instance', status: 'ok', elapsedMs: 1 });
  t.emit({ type: 'phase-start', phase: 'volume', title: 'Create' });
  t.emit(created('volume', 'vol-1'));
  t.emit({ type: 'phase-end', phase: 'volume', status: 'ok', elapsedMs: 1 });
  t.emit({ type: 'phase-start', phase: 'attach', title: 'Attach' });
  t.emit(created('attachment', 'vol-1@i-1'));
  t.emit({ type: 'phase-end', phase: 'attach', status: 'ok', elapsedMs: 1 });
  t.ok('ssh');
  t.ok('device');
}

function upToDd(t: ReturnType<typeof board>): void {
  upToTransfer(t);
  t.emit({ type: 'phase-start', phase: 'dd', title: 'Write tar with dd' });
}

describe('PhaseBoard', () => {
  it('a failed step fails with its reason; later work is not run; clean-up steps show their own outcome', () => {
    const t = board();
    upToDd(t);
    t.emit({ type: 'phase-end', phase: 'dd', status: 'failed', elapsedMs: 1, detail: 'connection lost' });
    t.emit({ type: 'phase-start', phase: 'cleanup:ssh-session', title: 'Close SSH session' }); // not listed: ignored
    t.emit({ type: 'phase-end', phase: 'cleanup:ssh-session', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'phase-start', phase: 'cleanup:attachment', title: 'Detach vol-1' });
    t.emit(released('attachment', 'vol-1@i-1', 'detached'));
    t.emit({ type: 'phase-end', phase: 'cleanup:attachment', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'phase-start', phase: 'cleanup:volume', title: 'Delete vol-1' });
    t.emit({ type: 'phase-end', phase: 'cleanup:volume', status: 'failed', elapsedMs: 1, detail: 'VolumeInUse' });
    t.emit({ type: 'phase-start', phase: 'cleanup:instance', title: 'Terminate i-1' });
    t.emit(released('instance', 'i-1', 'terminated'));
    t.emit({ type: 'phase-end', phase: 'cleanup:instance', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'error', message: 'connection lost', exitCode: 1 });

    expect(t.settled).toEqual([
      ['measure', { kind: 'ok' }],
      ['instance', { kind: 'ok' }],
      ['volume', { kind: 'ok' }],
      ['attach', { kind: 'ok' }],
      ['ssh', { kind: 'ok' }],
      ['device', { kind: 'ok' }],
      ['dd', { kind: 'failed', reason: 'connection lost' }],
      ['verify', { kind: 'not-run', reason: 'not run' }],
      ['cleanup:attachment', { kind: 'ok' }],
      ['cleanup:volume', { kind: 'failed', reason: 'VolumeInUse' }],
      ['cleanup:instance', { kind: 'ok' }],
    ]);
  });

  it('never says an instance that still runs was not needed', () => {
    const t = board();
    upToDd(t);
    t.emit({ type: 'phase-end', phase: 'dd', status: 'cancelled', elapsedMs: 1, detail: 'interrupted' });
    t.emit({ type: 'phase-start', phase: 'cleanup:attachment', title: 'Detach vol-1' });
    t.emit({ type: 'phase-end', phase: 'cleanup:attachment', status: 'ok', elapsedMs: 1 });
    // A second Ctrl-C: the rest of the clean-up never runs.
    t.emit({ type: 'error', message: 'interrupted', exitCode: 130 });

    expect(t.fate('dd')).toEqual({ kind: 'not-run', reason: 'interrupted' });
    expect(t.fate('verify')).toEqual({ kind: 'not-run', reason: 'not run' });
    expect(t.fate('cleanup:volume')).toEqual({ kind: 'not-run', reason: 'not run: vol-1 still exists' });
    expect(t.fate('cleanup:instance')).toEqual({ kind: 'not-run', reason: 'not run: i-1 still running' });
  });

  it('says "not needed" only when the service says so, or when nothing was left to clean up', () => {
    const t = board('rsync');
    upToTransfer(t);
    t.ok('inspect');
    t.emit({ type: 'phase-start', phase: 'mkfs', title: 'Make a filesystem' });
    t.emit({ type: 'phase-end', phase: 'mkfs', status: 'skipped', elapsedMs: 0, detail: 'keeping the existing ext4 filesystem' });
    t.ok('mount');
    t.ok('rsync');
    t.ok('unmount');
    t.emit(released('volume', 'vol-1', 'kept'));
    t.emit({ type: 'phase-start', phase: 'cleanup:attachment', title: 'Detach vol-1' });
    t.emit({ type: 'phase-end', phase: 'cleanup:attachment', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'phase-start', phase: 'cleanup:instance', title: 'Terminate i-1' });
    t.emit({ type: 'phase-end', phase: 'cleanup:instance', status: 'ok', elapsedMs: 1 });
    t.emit({ type: 'result', result: {} });

    expect(t.fate('mkfs')).toEqual({ kind: 'skipped', reason: 'keeping the existing ext4 filesystem' });
    expect(t.fate('cleanup:mount')).toEqual({ kind: 'skipped', reason: 'not needed' });
    expect(t.fate('cleanup:volume')).toEqual({ kind: 'skipped', reason: 'not needed: vol-1 kept' }); // it holds the backup
    expect(t.settled.filter(([, o]) => o.kind !== 'ok' && o.kind !== 'skipped')).toEqual([]);
  });

  it('a failure before anything was made: the rest is not run, and no clean-up was needed', () => {
    const t = board();
    t.emit({ type: 'phase-start', phase: 'measure', title: 'Measure /data' });
    t.emit({ type: 'phase-end', phase: 'measure', status: 'failed', elapsedMs: 1, detail: '/data: permission denied' });
    t.emit({ type: 'error', message: '/data: permission denied', exitCode: 2 });
    expect(t.fate('measure')).toEqual({ kind: 'failed', reason: '/data: permission denied' });
    expect(t.fate('attach')).toEqual({ kind: 'not-run', reason: 'not run' });
    expect(t.fate('cleanup:instance')).toEqual({ kind: 'skipped', reason: 'not needed' });
    expect(t.settled).toHaveLength(ebsPhases('dd', { existingVolume: false }).length);
  });

  it('shows progress only while its step runs, and clears it when the step ends', () => {
    const t = board();
    upToDd(t);
    t.emit({ type: 'progress', phase: 'dd', bytes: 1024, total: 2048, bytesPerSecond: 512, etaSeconds: 2 });
    expect(t.outputs.get('dd')).toBe('1.0 KiB / 2.0 KiB (50%), 512 B/s, ETA 2s');
    t.emit({ type: 'phase-end', phase: 'dd', status: 'ok', elapsedMs: 1 });
    expect(t.outputs.get('dd')).toBeUndefined();
    t.emit({ type: 'progress', phase: 'dd', bytes: 2048, total: 2048 }); // a final figure after the end
    expect(t.outputs.get('dd')).toBeUndefined();
    t.emit({ type: 'progress', phase: 'verify', bytes: 1 }); // not started yet
    expect(t.outputs.has('verify')).toBe(false);
  });

  it('closing before the run reported its end marks the running step as stopped', () => {
    const t = board();
    upToDd(t);
    t.b.close();
    expect(t.fate('dd')).toEqual({ kind: 'not-run', reason: 'stopped' });
    expect(t.fate('cleanup:instance')).toEqual({ kind: 'not-run', reason: 'not run: i-1 still running' });
  });
});
