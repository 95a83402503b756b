import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVolumeId } from '../../core/ebs/validate.js';
import { checkManifestFor } from '../../core/export/manifest-rules.js';
import { parseManifest } from '../../core/export/manifest.js';
import { checkTarget } from '../../core/restore/target.js';
import { OffsiteError, describeError } from '../../errors.js';
import { wizardMessage } from '../../wizard/services.js';
import { ec2BackupWording, offsiteWording } from './flag-advice.js';

/** What a core call throws (it must throw an operator's error). */
async function refusal(call: () => unknown): Promise<OffsiteError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof OffsiteError) return error;
    throw error;
  }
  throw new Error('expected the core to refuse');
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-flag-advice-'));
  await writeFile(join(work, 'kept'), 'x');
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe("the core's advice, as each face words it", () => {
  it('a restore target that is not empty: the command line says add --overwrite, the wizard names no flag', async () => {
    const error = await refusal(() => checkTarget(work, false));
    expect(error.advice).toEqual({ remedy: 'overwrite' });
    expect(describeError(error, offsiteWording)).toBe(`${work} is not empty: restore into an empty or new directory, or add --overwrite`);
    expect(wizardMessage(error)).toBe(`${work} is not empty: restore into an empty or new directory`);
  });

  it('a Snowball manifest without a role: --role-arn on the command line, the manifest field in the wizard', async () => {
    const text = (await readFile(fileURLToPath(new URL('../../../fixtures/manifests/snowball.yml', import.meta.url)), 'utf8')).replace(/^ {2}roleArn: .*\n/m, '');
    const error = await refusal(() => checkManifestFor('snowball', parseManifest(text, 'snowball.yml')));
    expect(describeError(error, offsiteWording)).toMatch(/^snowball\.yml:\d+: snowball\.roleArn: is required for Snowball export jobs, or pass --role-arn$/);
    expect(wizardMessage(error)).toMatch(/is required for Snowball export jobs; set snowball\.roleArn in the manifest$/);
  });

  it('a malformed volume id: each binary names its own flag, the wizard its field', async () => {
    const error = await refusal(() => parseVolumeId('vol-x'));
    expect(error.advice).toEqual({ input: 'volume' });
    expect(describeError(error, offsiteWording)).toBe("--volume: 'vol-x' is not a volume id (vol- and 8 or 17 hex digits)");
    expect(describeError(error, ec2BackupWording)).toBe("-v: 'vol-x' is not a volume id (vol- and 8 or 17 hex digits)");
    expect(wizardMessage(error)).toBe("Volume: 'vol-x' is not a volume id (vol- and 8 or 17 hex digits)");
  });

  it('without a face, the message is still whole and names no flag', async () => {
    const error = await refusal(() => checkTarget(work, false));
    expect(error.message).toMatch(/is not empty: restore into an empty or new directory, or allow overwriting what is there$/);
    expect(error.message).not.toMatch(/--/);
  });
});
