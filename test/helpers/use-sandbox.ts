import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox/sandbox.js';
import { isolatedEnv } from './cli.js';

export interface SandboxFixture {
  sandbox: Sandbox;
  /** A private scratch directory, removed after the file's tests. */
  work: string;
  /** The environment that points the binaries at the sandbox, and nothing else of AWS. */
  env: Record<string, string | undefined>;
}

/**
 * One sandbox (moto, sshd, attach agent) for a test file: started before its tests, stopped after them. The
 * fields are filled in by beforeAll; read them inside tests and hooks.
 */
export function useSandbox(name: string, options: SandboxOptions = {}): SandboxFixture {
  const fixture = {} as SandboxFixture;
  beforeAll(async () => {
    fixture.sandbox = await startSandbox(options);
    fixture.work = await mkdtemp(join(tmpdir(), `offsite-${name}-`));
    fixture.env = isolatedEnv(fixture.sandbox.env);
  });
  afterAll(async () => {
    await fixture.sandbox?.stop();
    if (fixture.work) await rm(fixture.work, { recursive: true, force: true });
  });
  return fixture;
}
