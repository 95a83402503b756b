/**
 * Guard for integration tests: the sandbox must be complete, or the test fails with a message saying what is
 * missing and how to fix it. Never a silent skip: under CI=true a missing part is a failure, and outside CI we
 * prefer a red test telling you to run the set-up script to a green one that proved nothing.
 */
import { access } from 'node:fs/promises';
import { requireSandboxTools } from './sandbox.js';

export class SandboxUnavailableError extends Error {
  constructor(
    message: string,
    readonly missing: string[],
  ) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

/** The message for a list of missing parts; CI gets told it is a failure, a person gets told how to fix it. */
export function sandboxUnavailableMessage(missing: string[], ci: boolean): string {
  const list = missing.join(', ');
  return ci
    ? `sandbox: missing ${list} — CI=true, so this is a test failure, not a skip (.ci/run runs scripts/setup.sh, which should have installed it)`
    : `sandbox: missing ${list} — run \`bash scripts/setup.sh\` as root to install the sandbox (tests fail rather than skip without it)`;
}

/** Missing parts besides tools: root and the loop driver (the attach agent exposes volumes as loop devices). */
async function missingPrivileges(): Promise<string[]> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (loop devices and /dev/disk/by-id links need it)');
  try {
    await access('/dev/loop-control');
  } catch {
    missing.push('loop devices (/dev/loop-control; modprobe loop)');
  }
  return missing;
}

/**
 * Resolves when every sandbox part is present; otherwise throws SandboxUnavailableError (in CI and outside it).
 * Call it first in a suite's beforeAll, before startSandbox().
 */
export async function sandboxAvailable(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const missing = [...(await requireSandboxTools()), ...(await missingPrivileges())];
  if (missing.length === 0) return;
  throw new SandboxUnavailableError(sandboxUnavailableMessage(missing, env.CI === 'true'), missing);
}
