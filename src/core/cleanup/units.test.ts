import { OutputClosedError } from '../../cli/interrupts.js';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { passesFilters, type CleanupPlan } from './item.js';
import { cleanupTable } from '../../ui/cleanup-result.js';
import { changedFiles } from '../ebs/dd-transfer.js';
import { LeftBehindError, leftBehindExitCode } from '../left-behind.js';
import { InterruptedError, OffsiteError, UsageError, describeError } from '../../errors.js';
import { offsiteWording } from '../../cli/commands/flag-advice.js';
import { holdsCompletedBackup } from '../ebs/proof.js';

describe('cleanup filters', () => {
  it('parses durations and refuses anything else as bad input', () => {
    expect(parseDuration('30m', 'olderThan')).toBe(1_800_000);
    expect(parseDuration('7d', 'olderThan')).toBe(604_800_000);
    expect(() => parseDuration('2 hours', 'olderThan')).toThrow(UsageError);
    // The core names the input by key; the command line spells it as its flag.
    const refused = ((): unknown => {
      try {
        return parseDuration('-1h', 'olderThan');
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toMatchObject({ text: expect.stringMatching(/^not a duration/), advice: { input: 'olderThan', value: '-1h' } });
    expect(describeError(refused, offsiteWording)).toMatch(/^--older-than -1h: not a duration/);
  });

  it('keeps items by run and by age; an item of unknown age only when its run is named', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const plan: CleanupPlan = { remove: false, stateDir: '/x', timeoutMs: 1, olderThanMs: 3_600_000 };
    expect(passesFilters(plan, { runId: 'a', created: '2026-12-01T10:00:00Z' }, now)).toBe(true);
    expect(passesFilters(plan, { runId: 'a', created: '2026-12-01T11:30:00Z' }, now)).toBe(false);
    expect(passesFilters(plan, { runId: 'a' }, now)).toBe(false);
    expect(passesFilters({ ...plan, runId: 'a' }, { runId: 'a' }, now)).toBe(true);
    expect(passesFilters({ ...plan, runId: 'b' }, { runId: 'a', created: '2026-12-01T10:00:00Z' }, now)).toBe(false);
  });

  it('prints names escaped in the table', () => {
    const [header, row] = cleanupTable([{ kind: 'temp-dir', id: '/tmp/offsite-\u001b[2J', action: 'remove', removable: true, left: true, reason: 'x' }]);
    expect(header).toMatch(/^KIND\s+ID\s+RUN\s+AGE\s+ACTION\s+WHY$/);
    expect(row).toContain('/tmp/offsite-\\e[2J');
  });
});

describe('files that changed while they were read', () => {
  it('takes the names from tar complaints', () => {
    const stderr = 'tar: ./log/app.log: file changed as we read it\ntar: ./db.img: File shrank by 1048576 bytes; padding with zeros\ntar: Exiting with failure status due to previous errors\n';
    expect(changedFiles(stderr)).toEqual(['./log/app.log', './db.img']);
  });
});

describe('exit code precedence for a run that left something behind', () => {
  it('interrupt and bad input win; otherwise 4 beats failures and differences', () => {
    expect(leftBehindExitCode(undefined)).toBe(4);
    expect(leftBehindExitCode(new OffsiteError('boom'))).toBe(4);
    expect(leftBehindExitCode(new OffsiteError('diff', 3))).toBe(4);
    expect(leftBehindExitCode(new InterruptedError())).toBe(130);
    expect(leftBehindExitCode(new UsageError('bad'))).toBe(2);
    const error = new LeftBehindError([{ kind: 'instance', id: 'i-1', region: 'us-east-1' }], 'R', new OffsiteError('dd failed'));
    expect(error.message).toBe('dd failed; left behind: instance i-1 (us-east-1); remove with: offsite cleanup --run R --yes');
    expect(error.stoppedBy(new InterruptedError()).exitCode).toBe(130);
    expect(error.stoppedBy(new OutputClosedError('stdout')).exitCode).toBe(141);
  });
});

describe('what counts as a completed backup', () => {
  it('needs state complete (or no state at all) and consistent proof tags', () => {
    const dd = { 'offsite:method': 'dd', 'offsite:dd-bytes': '10240', 'offsite:dd-sha256': 'a'.repeat(64) };
    expect(holdsCompletedBackup({ ...dd, 'offsite:state': 'complete' })).toBe(true);
    expect(holdsCompletedBackup(dd)).toBe(true);
    expect(holdsCompletedBackup({ ...dd, 'offsite:state': 'in-progress' })).toBe(false);
    expect(holdsCompletedBackup({ 'offsite:method': 'dd', 'offsite:state': 'complete' })).toBe(false);
    expect(holdsCompletedBackup({ 'offsite:state': 'complete' })).toBe(false);
  });
});
