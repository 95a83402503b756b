import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, listKeys, objectBytes, s3Client } from './helpers.js';

const BUCKET = 'names-bucket';
/** ESC [31m: what would turn a terminal red if it were printed raw. */
const RED = 'red \x1b[31mname.txt';

const fx = useSandbox('s3-names');
let s3: S3Client;

beforeAll(async () => {
  s3 = s3Client(fx.sandbox);
  await createBucket(s3, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
});

const offsite = (args: string[]) => runCli('offsite', args, { env: fx.env });

describe('names S3 keys cannot hold as they are, and names a terminal must not see raw', () => {
  it('a control character: stored, replaced through staging (the batch delete falls back to single deletes), never printed raw', async () => {
    const source = join(fx.work, 'control');
    await mkdir(source, { recursive: true });
    await writeFile(join(source, RED), 'first\n');
    await writeFile(join(source, 'plain.txt'), 'plain\n');
    const url = `s3://${BUCKET}/control`;

    const first = await offsite(['s3', source, url]);
    expect(first.code, first.stderr).toBe(0);
    expect((await objectBytes(s3, BUCKET, `control/${RED}`)).toString()).toBe('first\n');

    await writeFile(join(source, RED), 'second, longer\n');
    const dry = await offsite(['s3', source, url, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('upload control/red \\e[31mname.txt\n');

    const second = await offsite(['s3', source, url]);
    expect(second.code, second.stderr).toBe(0);
    for (const output of [first, dry, second]) expect(output.stdout + output.stderr).not.toContain('\x1b');
    expect((await objectBytes(s3, BUCKET, `control/${RED}`)).toString()).toBe('second, longer\n');
    expect(await listKeys(s3, BUCKET, '.offsite-staging/')).toEqual([]);
  });

  it('a name that is not UTF-8 is refused on its own, named escaped; the rest is stored', async () => {
    const source = join(fx.work, 'latin1');
    await mkdir(source, { recursive: true });
    await writeFile(Buffer.from(join(source, 'caf\xe9.txt'), 'latin1'), 'not utf-8\n');
    await writeFile(join(source, 'fine.txt'), 'fine\n');
    const result = await offsite(['s3', source, `s3://${BUCKET}/latin1`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('offsite: warning: not stored: caf\\xe9.txt: its name is not UTF-8');
    expect(await listKeys(s3, BUCKET, 'latin1/')).toEqual(['latin1/.offsite/tree.json', 'latin1/fine.txt']);
  });

  it("'..' and '.' segments in the destination are refused in one line, exit 2", async () => {
    for (const url of [`s3://${BUCKET}/../x`, `s3://${BUCKET}/a/./b`]) {
      const result = await offsite(['s3', fx.work, url]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^offsite: destination: '.*' has a '\.' or '\.\.' segment; [^\n]*\n$/);
    }
    expect(await listKeys(s3, BUCKET, '../')).toEqual([]);
  });
});

describe('Ctrl-C under --bwlimit', () => {
  it('ends in the interrupted path (exit 130, clean-up, one line), not a stack trace', async () => {
    const source = join(fx.work, 'paced');
    await mkdir(source, { recursive: true });
    await writeFile(join(source, 'small.bin'), pseudoRandom(2 * 1024 * 1024, 5));
    let fired = false;
    const result = await runCli('offsite', ['s3', source, `s3://${BUCKET}/paced`, '--bwlimit', '200k', '--json'], {
      env: fx.env,
      onLine: (line, child) => {
        // Once bytes are moving, the upload is inside a paced body waiting for the throttle.
        if (!fired && line.includes('"phase":"upload"') && line.includes('"type":"progress"')) {
          fired = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(fired).toBe(true);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).not.toMatch(/Unhandled|InterruptedError|\n\s+at /);
    expect(result.stderr).not.toContain('non-retryable streaming request');
    const last = result.stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).toMatchObject({ type: 'error', exitCode: 130, message: 'interrupted' });
  });
});
