import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { buildArchiveRun } from './archive.js';

const profiles = new URL('../../../fixtures/profiles/', import.meta.url).pathname;
const good = `${profiles}plain-dir.ini`;

describe('the archive plan from what an operator types', () => {
  it('an unknown -l level is refused before the profile is read', async () => {
    await expect(buildArchiveRun('/nonexistent.ini', { log: 'LOUD' })).rejects.toThrow("--log: unknown level 'LOUD' (DEBUG, INFO, WARNING, ERROR, CRITICAL)");
  });

  it('a profile that does not exist, or is not INI, is a usage error', async () => {
    await expect(buildArchiveRun('/nonexistent.ini', {})).rejects.toBeInstanceOf(UsageError);
    await expect(buildArchiveRun(`${profiles}bad/not-ini.ini`, {})).rejects.toBeInstanceOf(UsageError);
  });

  it('-l takes any case and folds into the output flags; an explicit --quiet or --verbose wins', async () => {
    expect((await buildArchiveRun(good, { log: 'info' })).output).toEqual({ json: undefined, quiet: false, verbose: true });
    expect((await buildArchiveRun(good, { log: 'error' })).output).toMatchObject({ quiet: true, verbose: false });
    expect((await buildArchiveRun(good, { log: 'DEBUG', quiet: true })).output).toMatchObject({ quiet: true, verbose: false });
    expect((await buildArchiveRun(good, { log: 'CRITICAL', verbose: true })).quietResult).toBe(true);
  });

  it('--dry-run is --noop', async () => {
    expect((await buildArchiveRun(good, { dryRun: true })).plan.noop).toBe(true);
    expect((await buildArchiveRun(good, {})).plan.noop).toBe(false);
  });
});
