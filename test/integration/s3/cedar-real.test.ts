import type { S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, repoRoot, runCli } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, listKeys, objectBytes, s3Client } from './helpers.js';

/**
 * The real Cedar Backup 3 amazons3 action (Debian's cedar-backup3, with the aws CLI pointed at moto) and
 * `offsite s3 --cedar-config` on the same configuration and staging data must give the same keys and bytes, except
 * where offsite fixes Cedar (a data file named like an indicator is stored). Needs root (Cedar refuses otherwise)
 * and the cback3 and aws programs: without them it is skipped, and says why.
 */
const run = promisify(execFile);
const BUCKET = 'cedar-real';
const ready = process.getuid?.() === 0 && existsSync('/usr/bin/cback3') && existsSync('/usr/bin/aws');

const fixture = useSandbox('cedar-real', { instance: false, enabled: ready });
let s3: S3Client;

beforeAll(async () => {
  if (!ready) return;
  s3 = s3Client(fixture.sandbox);
  await createBucket(s3, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
});

function today(): string {
  const now = new Date();
  return `${now.getFullYear()}/${String(now.getMonth() + 1).padStart(2, '0')}/${String(now.getDate()).padStart(2, '0')}`;
}

describe.skipIf(!ready)('parity with the real Cedar Backup 3 amazons3 action', () => {
  it('same keys (every slash of <s3_bucket> kept), a symlink stored as its target; mycback.tar stored only by offsite', async () => {
    const day = join(fixture.work, 'staging', today());
    await mkdir(join(day, 'host'), { recursive: true });
    await writeFile(join(day, 'host', 'a.txt'), 'data\n');
    await writeFile(join(day, 'host', 'mycback.tar'), 'tar\n');
    await symlink('a.txt', join(day, 'host', 'link.txt'));
    await writeFile(join(day, 'cback.stage'), '');
    // Cedar calls `aws` (through su) with no endpoint option: a wrapper adds moto's.
    const bin = join(fixture.work, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'aws'), `#!/bin/sh\nexec /usr/bin/aws --endpoint-url ${fixture.sandbox.moto.endpoint} "$@"\n`);
    await chmod(join(bin, 'aws'), 0o755);
    let config = await readFile(join(repoRoot, 'fixtures', 'cedar', 'cback3-amazons3.conf'), 'utf8');
    config = config
      .replaceAll('@STAGING_DIR@', join(fixture.work, 'staging'))
      .replaceAll('@WORKING_DIR@', fixture.work)
      .replace(/<s3_bucket>.*<\/s3_bucket>/, `<s3_bucket>${BUCKET}/daily/</s3_bucket>`)
      // Cedar validates every section: collect needs an ignore file; its su needs a user with a shell.
      .replace('<archive_mode>targz</archive_mode>', '<archive_mode>targz</archive_mode><ignore_file>.cbignore</ignore_file>')
      .replace('<backup_user>backup</backup_user>', '<backup_user>root</backup_user>')
      .replace('<backup_group>backup</backup_group>', '<backup_group>root</backup_group>');
    const configPath = join(fixture.work, 'cback3.conf');
    await writeFile(configPath, config);
    const env = { ...isolatedEnv(fixture.sandbox.env), PATH: `${bin}:${process.env.PATH}` };

    const cedar = await run('/usr/bin/cback3', ['--config', configPath, '--stack', 'amazons3'], { env: env as NodeJS.ProcessEnv }).then(
      () => ({ ok: true, output: '' }),
      (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    // Cedar's own bug: its upload skips mycback.tar (--exclude "*cback.*"), then its check misses it.
    expect(cedar.ok).toBe(false);
    expect(cedar.output).toMatch(/File was apparently not uploaded: \[.*mycback\.tar\]/);
    const prefix = `daily//${today()}/host/`;
    expect(await listKeys(s3, BUCKET)).toEqual([`${prefix}a.txt`, `${prefix}link.txt`]);

    const ours = await runCli('offsite', ['s3', '--cedar-config', configPath, '--full'], { env });
    expect(ours.code, ours.stderr).toBe(0);
    expect(await listKeys(s3, BUCKET)).toEqual([`${prefix}a.txt`, `${prefix}link.txt`, `${prefix}mycback.tar`]);
    expect((await objectBytes(s3, BUCKET, `${prefix}link.txt`)).toString()).toBe('data\n');
  });
});
