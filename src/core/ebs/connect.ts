import { waitForSsh } from '../../ssh/connection.js';
import { hostKeyPolicy } from '../../ssh/host-key.js';
import type { SshOptions, SshSession } from '../../ssh/types.js';
import type { Emit } from '../phases.js';
import type { PhaseTimeouts } from './plan.js';

/**
 * Decides how the instance's host key is verified (known_hosts, console fingerprints, or explicitly
 * unchecked with a warning), then connects once sshd answers.
 */
export async function connectVerified(options: {
  address: string;
  options: SshOptions;
  defaultUser: string;
  instanceId: string;
  readConsole: () => Promise<string>;
  timeouts: PhaseTimeouts;
  signal: AbortSignal;
  emit: Emit;
}): Promise<SshSession> {
  const { address, emit, signal } = options;
  const port = options.options.port ?? 22;
  const expectation = await hostKeyPolicy({
    host: address,
    port,
    options: options.options,
    readConsole: options.readConsole,
    consoleSource: `the console output of ${options.instanceId}`,
    consoleTimeoutMs: options.timeouts.hostKeyMs,
    signal,
  });
  if (expectation.kind === 'unchecked') {
    emit({ type: 'warning', message: `host key checking is off (StrictHostKeyChecking=no): ${address} is not verified` });
  } else {
    emit({ type: 'log', message: `host key of ${address} will be checked against ${expectation.source}` });
  }
  // Ctrl-C may cancel the connection attempt, but an established session must outlive it: clean-up
  // (unmount) still needs it, and closing it is the clean-up's job.
  const attempt = new AbortController();
  const relay = (): void => attempt.abort(signal.reason);
  signal.addEventListener('abort', relay, { once: true });
  try {
    return await waitForSsh({
      host: address,
      options: options.options,
      defaultUser: options.defaultUser,
      expectation,
      signal: attempt.signal,
      timeoutMs: options.timeouts.sshMs,
    });
  } finally {
    signal.removeEventListener('abort', relay);
  }
}
