/**
 * A real OpenSSH sshd on 127.0.0.1 standing in for the EC2 instance: its own host key, client key, known_hosts
 * and config in one directory, so tests exercise the real protocol, real host-key checks and real dropped links.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { access, chmod, chown, constants, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { shellQuote } from '../../src/ssh/quote.js';

const run = promisify(execFile);

const SSHD = '/usr/sbin/sshd';
const EXTRA_USER = 'offsite-test';

export interface SshdHandle {
  host: '127.0.0.1';
  port: number;
  /** The listening sshd (per-connection children are separate processes). */
  pid: number;
  /** `ssh-ed25519 AAAA…` (no comment). */
  hostPublicKey: string;
  /** As `ssh-keygen -l` prints it: `SHA256:…` (base64, no padding). */
  hostKeyFingerprintSha256: string;
  /** Private key (unencrypted ed25519) that root, and the extra user if any, accept. */
  clientKeyPath: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA…` */
  knownHostsPath: string;
  user: 'root';
  /** For EC2_BACKUP_FLAGS_SSH: `-o HostName=127.0.0.1 -p PORT -i KEY -l root -o UserKnownHostsFile=FILE`. */
  sshFlags: string;
  /** sshd's own log (`-e` output), for diagnosing a failed test. */
  logPath: string;
  /**
   * When started with `extraUser`: a non-root login (`offsite-test`, passwordless sudo) accepting the same client
   * key, and the flags that log in as it.
   */
  extraUser?: { user: typeof EXTRA_USER; sshFlags: string };
  /**
   * Amazon-Linux-style console output whose fingerprint block carries this sshd's real host key fingerprint.
   * With `includeKeysBlock`, also the KEYS block with the full public key.
   */
  consoleOutputWithFingerprints(options?: { includeKeysBlock?: boolean }): string;
  /** Kills every per-connection sshd process and what runs under it (not the listener): a dropped link. */
  dropConnections(): Promise<void>;
  /** Stops sshd and everything it started. Idempotent. */
  stop(): Promise<void>;
}

export async function startSshd(dir: string, opts: { extraUser?: boolean } = {}): Promise<SshdHandle> {
  if (!(await isExecutable(SSHD))) throw new Error('sandbox: sshd not found — run the set-up command (scripts/setup.sh)');
  if (!(await isExecutable('/usr/bin/ssh-keygen'))) {
    throw new Error('sandbox: ssh-keygen not found — run the set-up command (scripts/setup.sh)');
  }
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  await mkdir('/run/sshd', { recursive: true }); // Debian's privilege-separation directory

  const hostKeyPath = path.join(root, 'ssh_host_ed25519_key');
  const clientKeyPath = path.join(root, 'client_ed25519');
  await ensureKey(hostKeyPath, 'offsite-sandbox-host');
  await ensureKey(clientKeyPath, 'offsite-sandbox-client');
  const hostPublicKey = firstTwoFields(await readFile(`${hostKeyPath}.pub`, 'utf8'));
  const clientPublicKey = (await readFile(`${clientKeyPath}.pub`, 'utf8')).trim();
  const fingerprintLine = (await run('ssh-keygen', ['-l', '-f', `${hostKeyPath}.pub`])).stdout.trim();
  const hostKeyFingerprintSha256 = fingerprintLine.split(/\s+/)[1] ?? '';

  const authorizedKeys = path.join(root, 'authorized_keys');
  await writeFile(authorizedKeys, `${clientPublicKey}\n`, { mode: 0o644 });
  const extra = opts.extraUser ? await prepareExtraUser(clientPublicKey) : undefined;

  const logPath = path.join(root, 'sshd.log');
  const configPath = path.join(root, 'sshd_config');
  const sessionHome = path.join(root, 'home');
  await mkdir(sessionHome, { recursive: true, mode: 0o755 });
  const { child, port } = await launch({ root, configPath, logPath, hostKeyPath, authorizedKeys, extra, sessionHome });

  const knownHostsPath = path.join(root, 'known_hosts');
  await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
  // UserKnownHostsFile takes several files separated by blanks, so a path with blanks needs quotes of its own.
  const knownHostsValue = /\s/.test(knownHostsPath) ? `"${knownHostsPath}"` : knownHostsPath;
  const flagsFor = (user: string) =>
    `-o HostName=127.0.0.1 -p ${port} -i ${shellQuote(clientKeyPath)} -l ${user} -o ${shellQuote(`UserKnownHostsFile=${knownHostsValue}`)}`;

  let stopping: Promise<void> | undefined;
  const pid = child.pid ?? 0;
  // Detached, it would outlive a process that exits without stop().
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    host: '127.0.0.1',
    port,
    pid,
    hostPublicKey,
    hostKeyFingerprintSha256,
    clientKeyPath,
    knownHostsPath,
    user: 'root',
    sshFlags: flagsFor('root'),
    logPath,
    ...(extra ? { extraUser: { user: EXTRA_USER, sshFlags: flagsFor(EXTRA_USER) } } : {}),
    consoleOutputWithFingerprints: (options = {}) =>
      amazonLinuxConsole(fingerprintLine, options.includeKeysBlock ? hostPublicKey : undefined),
    dropConnections: () => killDescendants(pid),
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        await killDescendants(pid);
        await stopChild(child);
        if (extra) await rm(extra.keyFile, { force: true });
      })();
      return stopping;
    },
  };
}

interface LaunchPlan {
  root: string;
  configPath: string;
  logPath: string;
  hostKeyPath: string;
  authorizedKeys: string;
  extra: { keyFile: string } | undefined;
  /** $HOME for sessions (empty, so no shell start-up files run). */
  sessionHome: string;
}

/** Starts sshd on a free port; another process can grab the port between probe and bind, so retry a few times. */
async function launch(plan: LaunchPlan): Promise<{ child: ChildProcess; port: number }> {
  let lastProblem = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    await writeFile(plan.configPath, sshdConfig(plan, port));
    const log = await open(plan.logPath, 'a');
    // A process group of its own, like moto: a Ctrl-C at the terminal is for offsite, not for the stand-in instance.
    const child = spawn(SSHD, ['-D', '-e', '-f', plan.configPath], { detached: true, stdio: ['ignore', log.fd, log.fd] });
    await log.close();
    const outcome = await waitForBanner(child, port, 15_000);
    if (outcome === 'ready') return { child, port };
    await stopChild(child);
    const logText = await readFile(plan.logPath, 'utf8').catch(() => '');
    lastProblem = logText.trim().split('\n').slice(-3).join(' | ') || outcome;
    if (!/Address already in use|Cannot bind/i.test(logText)) break;
  }
  throw new Error(`sandbox: sshd did not start: ${lastProblem} (log: ${plan.logPath})`);
}

function sshdConfig(plan: LaunchPlan, port: number): string {
  const keyFiles = [plan.authorizedKeys, ...(plan.extra ? [plan.extra.keyFile] : [])];
  return [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${configPath(plan.hostKeyPath)}`,
    `PidFile ${configPath(path.join(plan.root, 'sshd.pid'))}`,
    `AuthorizedKeysFile ${keyFiles.map(configPath).join(' ')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    'MaxStartups 100',
    'MaxSessions 50',
    'LogLevel VERBOSE',
    // Sessions get a home of their own: bash sources ~/.bashrc for ssh commands, and this machine's root
    // ~/.bashrc (pyenv init and the like) is slow and can hang on a stale lock. A fresh instance has none of it.
    `SetEnv ${configPath(`HOME=${plan.sessionHome}`)}`,
    '',
  ].join('\n');
}

/** sshd_config takes double quotes around arguments with spaces. */
function configPath(file: string): string {
  return /\s/.test(file) ? `"${file}"` : file;
}

async function waitForBanner(child: ChildProcess, port: number, timeoutMs: number): Promise<'ready' | string> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `sshd exited (${signal ?? `code ${code}`})`;
  });
  child.once('error', (error) => {
    exited = `cannot run sshd: ${error.message}`;
  });
  const deadline = Date.now() + timeoutMs;
  let wait = 10;
  while (Date.now() < deadline) {
    if (exited) return exited;
    if (await hasSshBanner(port)) return 'ready';
    await delay(wait);
    wait = Math.min(wait * 2, 250);
  }
  return exited ?? `no SSH banner on port ${port} within ${timeoutMs / 1000}s`;
}

function hasSshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('end', () => done(false));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('sandbox: could not find a free port');
  return address.port;
}

async function ensureKey(keyPath: string, comment: string): Promise<void> {
  if (await exists(keyPath)) return;
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', keyPath]);
}

/**
 * The non-root login: created once per machine (idempotent, safe when two test files race), unlocked for sshd
 * without PAM (`*` instead of `!`), with passwordless sudo. The client key goes into a file of this sandbox's own
 * in the user's ~/.ssh (sshd reads it as the user, who cannot enter our temp directory), removed by stop().
 */
async function prepareExtraUser(clientPublicKey: string): Promise<{ keyFile: string }> {
  if (!(await isExecutable('/usr/bin/sudo')) && !(await isExecutable('/bin/sudo'))) {
    throw new Error('sandbox: sudo not found — run the set-up command (scripts/setup.sh)');
  }
  if (!(await userExists(EXTRA_USER))) {
    await run('useradd', ['--create-home', '--shell', '/bin/sh', EXTRA_USER]).catch(async (error: Error) => {
      if (!(await userExists(EXTRA_USER))) throw new Error(`sandbox: cannot create user ${EXTRA_USER}: ${error.message}`);
    });
  }
  await run('usermod', ['-p', '*', EXTRA_USER]);
  const sudoers = `/etc/sudoers.d/${EXTRA_USER}`;
  const rule = `${EXTRA_USER} ALL=(ALL) NOPASSWD:ALL\n`;
  if ((await readFile(sudoers, 'utf8').catch(() => '')) !== rule) {
    const temporary = `${sudoers}.${process.pid}.tmp`;
    await writeFile(temporary, rule, { mode: 0o440 });
    await rename(temporary, sudoers);
  }

  const { uid, gid, home } = await passwdEntry(EXTRA_USER);
  const sshDir = path.join(home, '.ssh');
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await chown(sshDir, uid, gid);
  await removeOrphanedKeyFiles(sshDir);
  // The creating process's pid is in the name, so a later sandbox can tell a killed run's file from a live one.
  const keyFile = path.join(sshDir, `offsite-sandbox-${process.pid}-${randomBytes(4).toString('hex')}.pub`);
  await writeFile(keyFile, `${clientPublicKey}\n`, { mode: 0o644 });
  await chmod(keyFile, 0o644);
  return { keyFile };
}

/** Key files left by sandboxes whose process died without stop() (a killed test run). */
async function removeOrphanedKeyFiles(sshDir: string): Promise<void> {
  for (const name of readdirSync(sshDir)) {
    const owner = /^offsite-sandbox-(\d+)-[0-9a-f]+\.pub$/.exec(name)?.[1];
    if (owner === undefined || isAlive(Number(owner))) continue;
    await rm(path.join(sshDir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function userExists(name: string): Promise<boolean> {
  return run('id', ['-u', name]).then(
    () => true,
    () => false,
  );
}

async function passwdEntry(name: string): Promise<{ uid: number; gid: number; home: string }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  const fields = line?.split(':') ?? [];
  if (fields.length < 7) throw new Error(`sandbox: user ${name} is not in /etc/passwd`);
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? `/home/${name}` };
}

/** Every process below `pid` (per-connection sshd, its session child, the commands it runs), killed at once. */
async function killDescendants(pid: number): Promise<void> {
  const victims = descendants(pid);
  for (const victim of victims) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Wait until they are really gone (or zombies nobody reaps), so the caller sees the link down.
  const deadline = Date.now() + 5000;
  let wait = 5;
  while (Date.now() < deadline) {
    const alive = await Promise.all(victims.map(isRunning));
    if (!alive.includes(true)) return;
    await delay(wait);
    wait = Math.min(wait * 2, 100);
  }
}

/**
 * Read synchronously on purpose: it is one snapshot of the process tree, and a test that is streaming at full
 * speed keeps the event loop so busy that dozens of async reads would take seconds.
 */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat = '';
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // The command name is in parentheses and may contain anything, so read the fields after the last ')'.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(parent)) continue;
    children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    found.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (stat === '') return false;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function firstTwoFields(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(' ');
}

/** What an Amazon Linux 2023 instance prints on its serial console at first boot, trimmed to the interesting part. */
function amazonLinuxConsole(fingerprintLine: string, publicKey: string | undefined): string {
  const lines = [
    '[    0.000000] Linux version 6.1.158-178.288.amzn2023.x86_64 (mockbuild@ip-10-0-33-92) (gcc (GCC) 11.5.0 20240719 (Red Hat 11.5.0-5), GNU ld version 2.41-50.amzn2023.0.3) #1 SMP PREEMPT_DYNAMIC Mon Nov 10 20:21:38 UTC 2025',
    '[    0.000000] Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz-6.1.158-178.288.amzn2023.x86_64 root=UUID=5d2a4b5e-0c1f-4b7a-9a55-0f1e2d3c4b5a ro console=tty0 console=ttyS0,115200n8 nvme_core.io_timeout=4294967295 rd.emergency=poweroff rd.shell=0 selinux=1 security=selinux quiet',
    '[    1.935712] nvme nvme0: 2/0/0 default/read/poll queues',
    '[    2.301876] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode. Quota mode: none.',
    '[    4.502201] cloud-init[1571]: Cloud-init v. 22.2.2 running \'init\' at Sat, 22 Nov 2025 03:05:09 +0000. Up 4.48 seconds.',
    '[    4.648830] cloud-init[1571]: ci-info: ++++++++++++++++++++++++++++++++++++++Net device info++++++++++++++++++++++++++++++++++++++',
    '[    4.650311] cloud-init[1571]: ci-info: | Device |  Up  |           Address           |      Mask     | Scope  |     Hw-Address    |',
    '[    4.652470] cloud-init[1571]: ci-info: |  ens5  | True |         172.31.20.5         | 255.255.240.0 | global | 0a:ff:c1:3e:59:21 |',
    '[    5.120937] cloud-init[1571]: Generating public/private ed25519 key pair.',
    '[    5.311284] cloud-init[1571]: The key fingerprint is:',
    '[    5.312054] cloud-init[1571]: SHA256:0wz1hUq3dKZb6sRZ4rU3kLrQd0N7KuZ9yX2pVjXGm8o root@ip-172-31-20-5.ec2.internal',
    '[    6.882110] cloud-init[1640]: Cloud-init v. 22.2.2 running \'modules:config\' at Sat, 22 Nov 2025 03:05:11 +0000. Up 6.85 seconds.',
    '[    7.402455] cloud-init[1666]: Cloud-init v. 22.2.2 running \'modules:final\' at Sat, 22 Nov 2025 03:05:12 +0000. Up 7.37 seconds.',
    'ec2: ',
    'ec2: #############################################################',
    'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
    `ec2: ${fingerprintLine}`,
    'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    'ec2: #############################################################',
    ...(publicKey ? ['-----BEGIN SSH HOST KEY KEYS-----', publicKey, '-----END SSH HOST KEY KEYS-----'] : []),
    '[    7.611029] cloud-init[1666]: Cloud-init v. 22.2.2 finished at Sat, 22 Nov 2025 03:05:12 +0000. Datasource DataSourceEc2.  Up 7.60 seconds',
    '',
    'Amazon Linux 2023.9.20251117',
    'Kernel 6.1.158-178.288.amzn2023.x86_64 on an x86_64 (-)',
    '',
    'ip-172-31-20-5 login: ',
  ];
  return `${lines.join('\r\n')}\r\n`;
}
