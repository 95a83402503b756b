/**
 * The sandbox as a person meets it: `npm run sandbox` in one shell serving every flow to another, and
 * `offsite --sandbox <command>` in one process. Both must leave nothing behind — the temporary directory included —
 * whether they end normally or on Ctrl-C. Each run gets a private TMPDIR, so "nothing left" is exact.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, repoRoot, runCli } from '../helpers/cli.js';
import { sandboxAvailable } from './require.js';

let scratch: string[] = [];

async function privateTmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'offsite-embedded-test-'));
  scratch.push(dir);
  return dir;
}

beforeAll(async () => {
  await sandboxAvailable();
});

afterEach(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  scratch = [];
});

describe('npm run sandbox', () => {
  it('prints every variable, serves the job services with them, and removes its files on Ctrl-C', async () => {
    const tmp = await privateTmp();
    // Its own process group, as a terminal's foreground job: Ctrl-C reaches the whole group.
    const child = spawn(process.execPath, [join(repoRoot, 'dist/test/sandbox/main.js')], {
      env: { ...isolatedEnv({}), TMPDIR: tmp },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        if (stdout.includes('Ctrl-C here')) resolve();
      });
      child.on('close', () => reject(new Error(`the sandbox ended before it was up: ${stderr}`)));
    });

    const env = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]));
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_IMPORTEXPORT', 'AWS_ENDPOINT_URL_SNOWBALL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'EC2_BACKUP_FLAGS_SSH']),
    );
    expect(env.AWS_DEFAULT_REGION).toBe(env.AWS_REGION);
    expect(env.OFFSITE_STATE_DIR!.startsWith(tmp)).toBe(true);

    // A second shell with only those lines: the ship-a-disk flow works (the fixture manifest's key signs).
    const dryRun = await runCli('offsite', ['export', 'create-job', '--dry-run', join(repoRoot, 'fixtures/manifests/export.yml')], { env: isolatedEnv(env) });
    expect(dryRun.stderr).not.toMatch(/SyntaxError/);
    expect(dryRun.code).toBe(0);
    const snowball = await runCli('s3export', ['--service', 'snowball', 'list-jobs'], { env: isolatedEnv(env) });
    expect(snowball.code).toBe(0);

    expect(await readdir(tmp)).not.toEqual([]);
    process.kill(-child.pid!, 'SIGINT');
    expect(await closed).toBe(0);
    expect(await readdir(tmp)).toEqual([]);
  }, 600_000);
});

describe('offsite --sandbox', () => {
  it('runs a command against the embedded sandbox and removes everything after', async () => {
    const tmp = await privateTmp();
    const run = await runCli('offsite', ['--sandbox', 'ebs', '--method', 'rsync', join(repoRoot, 'fixtures/sample-tree')], {
      env: { ...isolatedEnv({}), TMPDIR: tmp },
    });
    expect(run.stderr).toMatch(/sandbox up in/);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^vol-[0-9a-f]+$/);
    expect(await readdir(tmp)).toEqual([]);
  }, 600_000);

  it('removes everything after Ctrl-C in the middle of a backup, and says it was interrupted', async () => {
    const tmp = await privateTmp();
    let sent = false;
    const run = await runCli('offsite', ['--sandbox', 'ebs', '--method', 'dd', join(repoRoot, 'fixtures/sample-tree')], {
      env: { ...isolatedEnv({}), TMPDIR: tmp },
      onStderrLine: (line, child) => {
        // The instance is up: the run now owns resources that must be released.
        if (!sent && /^ok\s+Launch/.test(line)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/stopping the sandbox/);
    expect(await readdir(tmp)).toEqual([]);
  }, 600_000);

  it('says in one line that the wizard needs a terminal', async () => {
    const run = await runCli('offsite', ['--sandbox'], { env: isolatedEnv({}) });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/needs a terminal/);
  });
});
