import { describe, expect, it } from 'vitest';
import { makeEmitter } from '../core/events.js';
import { plainPresenter, progressText } from './plain.js';

const progress = (bytes: number, extra: { total?: number; bytesPerSecond?: number; etaSeconds?: number } = {}) => ({
  type: 'progress' as const,
  time: '',
  phase: 'compare',
  bytes,
  ...extra,
});

describe('progressText', () => {
  it('never shows an ETA in milliseconds or of zero', () => {
    expect(progressText(progress(10, { total: 20, bytesPerSecond: 100, etaSeconds: 0.1 }))).toBe('10 B / 20 B (50%), 100 B/s, ETA <1s');
    expect(progressText(progress(10, { total: 20, bytesPerSecond: 100, etaSeconds: 0 }))).toBe('10 B / 20 B (50%), 100 B/s, ETA <1s');
    expect(progressText(progress(10, { total: 20, bytesPerSecond: 1, etaSeconds: 10 }))).toBe('10 B / 20 B (50%), 1 B/s, ETA 10s');
  });

  it('shows no ETA once everything is done', () => {
    expect(progressText(progress(20, { total: 20, bytesPerSecond: 100, etaSeconds: 3 }))).toBe('20 B / 20 B (100%), 100 B/s');
  });
});

describe('plainPresenter', () => {
  it('prints no progress line for a step that already ended', () => {
    const lines: string[] = [];
    const emit = makeEmitter(plainPresenter((line) => lines.push(line), { level: 'normal', program: 'offsite', progressIntervalMs: 0 }));
    emit({ type: 'phase-start', phase: 'compare', title: 'Compare 3 files' });
    emit({ type: 'progress', phase: 'compare', bytes: 1024 });
    emit({ type: 'phase-end', phase: 'compare', status: 'ok', elapsedMs: 5 });
    emit({ type: 'progress', phase: 'compare', bytes: 400 * 1024 * 1024 });
    expect(lines).toEqual(['     compare: 1.0 KiB', 'ok   Compare 3 files (5ms)']);
  });
});
