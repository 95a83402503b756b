import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { buildCleanupPlan } from './cleanup.js';

describe('the cleanup plan from what an operator types', () => {
  it('only lists unless --yes', () => {
    expect(buildCleanupPlan({})).toEqual({ remove: false });
    expect(buildCleanupPlan({ yes: true })).toEqual({ remove: true });
  });

  it('a run id pasted with a stray character, or a volume id in its place, is refused', () => {
    expect(() => buildCleanupPlan({ run: '20261201-220315-a1b2c3,' })).toThrow(/^--run .*: not a run id \(like 20261201-220315-a1b2c3\)$/);
    expect(() => buildCleanupPlan({ run: 'vol-0123456789abcdef0' })).toThrow(UsageError);
    expect(buildCleanupPlan({ run: '20261201-220315-a1b2c3' })).toEqual({ runId: '20261201-220315-a1b2c3', remove: false });
  });

  it('a name that would move the cursor is shown escaped, not obeyed', () => {
    expect(() => buildCleanupPlan({ run: 'x\u001b[2Jy' })).toThrow(/^--run x\\(?:x1b|e|033|u001b)\[2Jy: not a run id/);
  });

  it('an age without a unit, or a negative one, is refused; a unit is taken', () => {
    expect(() => buildCleanupPlan({ olderThan: '2' })).toThrow(UsageError);
    expect(() => buildCleanupPlan({ olderThan: '-2h' })).toThrow(UsageError);
    expect(buildCleanupPlan({ olderThan: '2h' })).toEqual({ olderThanMs: 2 * 3600_000, remove: false });
  });
});
