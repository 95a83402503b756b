import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../../scripts/counting-proxy.js';
import { startJobServicesSandbox, type JobServicesOptions, type JobServicesSandbox } from '../sandbox/job-services.js';
import { startMotoSandbox, startSandbox, type MotoSandbox, type Sandbox, type SandboxOptions } from '../sandbox/sandbox.js';
import { isolatedEnv } from './cli.js';

export interface SandboxFixture<S = Sandbox> {
  sandbox: S;
  /** A private scratch directory, removed after the file's tests. */
  work: string;
  /** The environment that points the binaries at the sandbox (through the proxy, with one), and nothing else of AWS. */
  env: Record<string, string | undefined>;
  /** With `countingProxy`: the proxy in front of moto that counts every S3 request. */
  proxy?: CountingProxy;
}

export interface FixtureOptions extends SandboxOptions {
  /** false: moto alone (no sshd, no attach agent), for files that never launch an instance. Default true. */
  instance?: boolean;
  /** A counting proxy in front of moto; `env` sends offsite through it, `proxy` reads the counts. */
  countingProxy?: boolean;
  /** false: start nothing (a prerequisite the file's tests check and skip on is missing). Default true. */
  enabled?: boolean;
  /** The Import/Export and Snowball fakes alone (no moto, no instance), with these options: the export tests. */
  jobServicesOnly?: JobServicesOptions;
}

/**
 * One sandbox (moto, sshd, attach agent; or moto alone) for a test file: started before its tests, stopped after
 * them. The fields are filled in by beforeAll; read them inside tests and hooks.
 */
export function useSandbox(name: string, options: FixtureOptions & { jobServicesOnly: JobServicesOptions }): SandboxFixture<JobServicesSandbox>;
export function useSandbox(name: string, options: FixtureOptions & { instance: false }): SandboxFixture<MotoSandbox>;
export function useSandbox(name: string, options?: FixtureOptions): SandboxFixture;
export function useSandbox(name: string, options: FixtureOptions = {}): SandboxFixture<MotoSandbox | JobServicesSandbox> {
  const { instance = true, countingProxy = false, enabled = true, jobServicesOnly, ...sandboxOptions } = options;
  const fixture = {} as SandboxFixture<MotoSandbox | JobServicesSandbox>;
  beforeAll(async () => {
    if (!enabled) return;
    const sandbox = jobServicesOnly ? await startJobServicesSandbox(jobServicesOnly) : instance ? await startSandbox(sandboxOptions) : await startMotoSandbox();
    fixture.sandbox = sandbox;
    fixture.work = await mkdtemp(join(tmpdir(), `offsite-${name}-`));
    fixture.env = isolatedEnv(sandbox.env);
    if (countingProxy && 'moto' in sandbox) {
      fixture.proxy = await startCountingProxy(sandbox.moto.endpoint);
      fixture.env.AWS_ENDPOINT_URL = fixture.proxy.endpoint;
    }
  });
  afterAll(async () => {
    await fixture.proxy?.stop();
    await fixture.sandbox?.stop();
    if (fixture.work) await rm(fixture.work, { recursive: true, force: true });
  });
  return fixture;
}
