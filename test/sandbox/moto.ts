/**
 * moto (`python3 -m moto.server`) on a free loopback port: the sandbox's stand-in for the EC2 and S3 APIs.
 *
 * The server runs in its own process group (so a Ctrl-C at the terminal does not kill it behind our back and
 * stop() can take down anything it forked), logs to `<dir>/moto.log`, and is known to be up only once it
 * answers HTTP. A process exit hook kills it if the owner forgot to call stop().
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { MOTO_SERVER_SCRIPT } from './moto-rules.js';

export interface MotoOptions {
  /** The python interpreter to run moto with. Default `python3`. */
  python?: string;
  /** How long to wait for the server to answer HTTP. Default 60 s. */
  startTimeoutMs?: number;
}

export interface MotoHandle {
  /** `http://127.0.0.1:PORT`, the value for AWS_ENDPOINT_URL. */
  endpoint: string;
  port: number;
  pid: number;
  /** The server's log file (stdout and stderr). */
  logPath: string;
  /** Forget every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Stop the server and wait until it is gone. Idempotent. */
  stop(): Promise<void>;
}

const MOTO_MISSING_HINT =
  'install it with `pip install "moto[server]"` (the project expects moto 5.2.x preinstalled), or run `bash scripts/setup.sh`';

/** A loopback TCP port that nobody was listening on a moment ago (the kernel chose it). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.unref();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!port) throw new Error('sandbox: could not find a free loopback port');
  return port;
}

/** Signal a whole process group, ignoring "already gone". Returns false when no such group exists. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** True while the process group `pid` leads still has a member. */
export function groupAlive(pid: number): boolean {
  return signalGroup(pid, 0);
}

/**
 * Stop a process group: SIGTERM, then SIGKILL if it has not gone after `graceMs`.
 * `exited` settles when the leader has been reaped by us.
 */
export async function stopGroup(pid: number, exited: Promise<unknown>, graceMs = 3000): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) {
    await exited;
    return;
  }
  const leaderGone = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
  // The leader may be gone while a child it forked lingers: sweep the group either way.
  if (!leaderGone || groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  await exited;
  for (let i = 0; i < 50 && groupAlive(pid); i++) await delay(20);
}

async function tail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Poll with backoff until `url` answers any HTTP status, the child dies, or the deadline passes. */
async function waitForHttp(url: string, dead: () => boolean, deadline: number): Promise<'up' | 'dead' | 'timeout'> {
  let wait = 20;
  while (Date.now() < deadline) {
    if (dead()) return 'dead';
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return 'up';
    } catch {
      // not listening yet
    }
    if (dead()) return 'dead';
    await delay(wait);
    wait = Math.min(wait * 2, 250);
  }
  return 'timeout';
}

export async function startMoto(dir: string, options: MotoOptions = {}): Promise<MotoHandle> {
  const python = options.python ?? 'python3';
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  await mkdir(dir, { recursive: true });
  const logPath = path.join(dir, 'moto.log');

  // The port is free when chosen but could be taken before moto binds it: try a few.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await launch(python, port, logPath, startTimeoutMs);
    } catch (error) {
      lastError = error as Error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw lastError ?? new Error('sandbox: moto did not start');
}

class PortTakenError extends Error {}

async function launch(python: string, port: number, logPath: string, startTimeoutMs: number): Promise<MotoHandle> {
  const log = await open(logPath, 'a');
  const child = spawn(python, ['-c', MOTO_SERVER_SCRIPT, '-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });

  let spawnError: NodeJS.ErrnoException | undefined;
  let exitStatus: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
  });
  const dead = () => spawnError !== undefined || exitStatus !== undefined;
  await log.close(); // the child has its own copy of the descriptor

  const endpoint = `http://127.0.0.1:${port}`;
  const outcome = await waitForHttp(`${endpoint}/moto-api/`, dead, Date.now() + startTimeoutMs);

  if (outcome !== 'up') {
    if (outcome === 'timeout' && child.pid !== undefined) await stopGroup(child.pid, exited);
    await exited.catch(() => undefined);
    if (spawnError?.code === 'ENOENT') {
      throw new Error(`sandbox: moto not found (python3 -m moto.server) — ${python} is not installed; ${MOTO_MISSING_HINT}`);
    }
    if (spawnError) throw new Error(`sandbox: could not run ${python}: ${spawnError.message}`);
    const logTail = await tail(logPath);
    if (/No module named '?moto|ModuleNotFoundError/.test(logTail)) {
      throw new Error(`sandbox: moto not found (python3 -m moto.server) — ${MOTO_MISSING_HINT}\n${logTail}`);
    }
    if (/Address already in use/i.test(logTail)) throw new PortTakenError(`sandbox: port ${port} was taken`);
    const why = outcome === 'timeout' ? `did not answer on ${endpoint} within ${startTimeoutMs} ms` : `exited (${exitStatus})`;
    throw new Error(`sandbox: moto ${why}; last lines of ${logPath}:\n${logTail}`);
  }

  const pid = child.pid!;
  let stopping: Promise<void> | undefined;
  const onExit = () => {
    if (!dead()) signalGroup(pid, 'SIGKILL');
  };
  process.once('exit', onExit);

  return {
    endpoint,
    port,
    pid,
    logPath,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      if (!response.ok) throw new Error(`sandbox: moto reset answered HTTP ${response.status}: ${body.slice(0, 200)}`);
    },
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        if (dead()) {
          // The leader is gone; sweep anything it may have left in its group.
          if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
          return;
        }
        await stopGroup(pid, exited);
      })();
      return stopping;
    },
  };
}
