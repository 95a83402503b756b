import { waitForSsh } from '../../ssh/connection.js';
import { hostKeyPolicy } from '../../ssh/host-key.js';
import { formatDuration } from '../../util/format.js';
import type { SshOptions, SshSession } from '../../ssh/types.js';
import type { Emit } from '../phases.js';
import type { PhaseTimeouts } from '../ebs/plan.js';

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
  const consoleSource = `the console output of ${options.instanceId}`;
  const limit = formatDuration(options.timeouts.hostKeyMs);
  const waitStarted = Date.now();
  const expectation = await hostKeyPolicy({
    host: address,
    port,
    options: options.options,
    readConsole: options.readConsole,
    consoleSource,
    consoleTimeoutMs: options.timeouts.hostKeyMs,
    // EC2 publishes console output minutes late: say what we wait for, how long so far, and the limit.
    onConsolePoll: () =>
      emit({ type: 'log', message: `waiting for SSH host key fingerprints in ${consoleSource}: ${formatDuration(Date.now() - waitStarted)} of at most ${limit}` }),
    signal,
  });
  if (expectation.kind === 'unchecked') {
    emit({ type: 'warning', message: `host key checking is off (StrictHostKeyChecking=no): ${address} is not verified` });
  } else if (expectation.kind === 'known-keys' && expectation.allowMismatch) {
    emit({ type: 'warning', message: `StrictHostKeyChecking=no: a host key of ${address} that differs from ${expectation.source} will be accepted` });
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
      // A changed key accepted because checking is off, an unusable identity file: every face must show it.
      onWarning: (message) => emit({ type: 'warning', message }),
    });
  } finally {
    signal.removeEventListener('abort', relay);
  }
}
