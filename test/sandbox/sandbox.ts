/**
 * The whole sandbox: moto (EC2/S3 API) + OpenSSH sshd (the stand-in instance) + the attach agent (volumes as
 * loop devices at their NVMe by-id names), and on request the two job-service fakes, in one temporary directory,
 * with the environment that points offsite at them.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAttachAgent, type AttachAgent } from './attach-agent.js';
import { JOB_BUCKETS, KEY_ID, SECRET, startJobServices, type JobServices } from './job-services.js';
import { startMoto, type MotoHandle } from './moto.js';
import { startSshd, type SshdHandle } from './sshd.js';

const run = promisify(execFile);

export const SANDBOX_REGION = 'us-east-1';

export interface SandboxOptions {
  /** Use this directory (created if missing, never removed). Default: a new `offsite-sandbox-*` temp dir. */
  dir?: string;
  /** Also create a non-root login on the sshd (to exercise the sudo path). */
  extraUser?: boolean;
  /** Keep the temp directory (backing files, logs) after stop(). Default false, or true when OFFSITE_SANDBOX_KEEP=1. */
  keep?: boolean;
  /** Where the attach agent puts the NVMe by-id links. Default `/dev/disk/by-id`. */
  byIdDir?: string;
  /**
   * Everything a person trying offsite needs (npm run sandbox, offsite --sandbox): the Import/Export and Snowball
   * fakes, the signing key the fixture manifests name, and the buckets of SANDBOX_BUCKETS. Default false.
   */
  jobServices?: boolean;
}

/** Buckets made in moto for jobServices: one to store into, and the ones the fixture manifests export. */
export const SANDBOX_BUCKETS = ['offsite-sandbox', ...JOB_BUCKETS];

export interface Sandbox {
  dir: string;
  region: typeof SANDBOX_REGION;
  /** What offsite needs in its environment to use the sandbox (AWS_*, EC2_BACKUP_FLAGS_SSH, OFFSITE_STATE_DIR). */
  env: Record<string, string>;
  moto: MotoHandle;
  sshd: SshdHandle;
  agent: AttachAgent;
  /** The job-service fakes, with jobServices. */
  jobs?: JobServices;
  /** Messages the agent and stop() produced (nothing is printed). */
  warnings: string[];
  /** An EC2 client on the sandbox's moto (one per sandbox, destroyed by stop()). */
  ec2(): EC2Client;
  /** The backing file of a volume (`<dir>/volumes/<vol-id>.img`). */
  volumeFile(volumeId: string): string;
  /** Stop everything: agent (loops, links), sshd, moto; remove the temp dir unless kept. Idempotent. */
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ownDir = options.dir === undefined;
  const dir = path.resolve(options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'offsite-sandbox-'))));
  const keep = options.keep ?? process.env.OFFSITE_SANDBOX_KEEP === '1';
  await mkdir(path.join(dir, 'state'), { recursive: true });

  const warnings: string[] = [];
  const started: { stop(): Promise<void> }[] = [];
  const removeDir = async () => {
    if (!ownDir || keep) return;
    const mounted = await mountsUnder(dir);
    if (mounted.length > 0) {
      warnings.push(`kept ${dir}: still mounted below it: ${mounted.join(', ')}`);
      return;
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const [motoResult, sshdResult] = await Promise.allSettled([
      startMoto(path.join(dir, 'moto')),
      startSshd(path.join(dir, 'sshd'), options.extraUser ? { extraUser: true } : undefined),
    ]);
    if (motoResult.status === 'fulfilled') started.push(motoResult.value);
    if (sshdResult.status === 'fulfilled') started.push(sshdResult.value);
    if (motoResult.status === 'rejected') throw motoResult.reason;
    if (sshdResult.status === 'rejected') throw sshdResult.reason;
    const moto = motoResult.value;
    const sshd = sshdResult.value;

    const agent = await startAttachAgent({
      endpoint: moto.endpoint,
      region: SANDBOX_REGION,
      dir,
      ...(options.byIdDir ? { byIdDir: options.byIdDir } : {}),
    });
    started.unshift(agent); // stopped first, before moto goes away
    agent.events.on('warning', (message) => warnings.push(message));

    let jobs: JobServices | undefined;
    if (options.jobServices) {
      jobs = await startJobServices(SANDBOX_REGION);
      started.push(jobs);
      await createBuckets(moto.endpoint, SANDBOX_BUCKETS);
    }

    const env: Record<string, string> = { ...awsEnv(dir, moto, jobs), EC2_BACKUP_FLAGS_SSH: sshd.sshFlags, ...jobs?.env };

    let client: EC2Client | undefined;
    let stopping: Promise<void> | undefined;
    return {
      dir,
      region: SANDBOX_REGION,
      env,
      moto,
      sshd,
      agent,
      ...(jobs ? { jobs } : {}),
      warnings,
      ec2() {
        client ??= new EC2Client({
          endpoint: moto.endpoint,
          region: SANDBOX_REGION,
          credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        });
        return client;
      },
      volumeFile: (volumeId) => agent.volumeFile(volumeId),
      stop() {
        stopping ??= (async () => {
          client?.destroy();
          const errors = await stopAll(started);
          await removeDir().catch((error: Error) => warnings.push(`could not remove ${dir}: ${error.message}`));
          if (errors.length > 0) throw new AggregateError(errors, `sandbox: stop failed: ${errors.map((e) => e.message).join('; ')}`);
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll(started);
    await removeDir().catch(() => undefined);
    throw error;
  }
}

/** Where offsite finds moto (and its state directory); the keys are the ones the job-service fakes check when they run. */
function awsEnv(dir: string, moto: MotoHandle, jobs: JobServices | undefined): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    // moto takes any key; the job-service fakes check signatures, and a manifest names the key that signs.
    AWS_ACCESS_KEY_ID: jobs ? KEY_ID : 'testing',
    AWS_SECRET_ACCESS_KEY: jobs ? SECRET : 'testing',
    AWS_REGION: SANDBOX_REGION,
    // Tools that know only the older name (the AWS CLI v1, some SDKs) find the region too.
    AWS_DEFAULT_REGION: SANDBOX_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    OFFSITE_STATE_DIR: path.join(dir, 'state'),
  };
}

/** moto alone: what a test of S3 alone needs (no instance, so no sshd and no attach agent). */
export type MotoSandbox = Pick<Sandbox, 'dir' | 'region' | 'env' | 'moto' | 'stop'>;

export async function startMotoSandbox(): Promise<MotoSandbox> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'offsite-sandbox-'));
  await mkdir(path.join(dir, 'state'), { recursive: true });
  const moto = await startMoto(path.join(dir, 'moto')).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  let stopping: Promise<void> | undefined;
  return {
    dir,
    region: SANDBOX_REGION,
    env: awsEnv(dir, moto, undefined),
    moto,
    stop: () =>
      (stopping ??= (async () => {
        try {
          await moto.stop();
        } finally {
          if (process.env.OFFSITE_SANDBOX_KEEP !== '1') await rm(dir, { recursive: true, force: true });
        }
      })()),
  };
}

async function createBuckets(endpoint: string, names: string[]): Promise<void> {
  const s3 = new S3Client({ endpoint, region: SANDBOX_REGION, forcePathStyle: true, credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } });
  try {
    for (const Bucket of names) await s3.send(new CreateBucketCommand({ Bucket }));
  } finally {
    s3.destroy();
  }
}

/** Quote a value for a POSIX shell: single quotes, with embedded ones closed, escaped and reopened. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function exportLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
}

/** Stop parts in order; every part is attempted even when an earlier one fails. */
async function stopAll(parts: { stop(): Promise<void> }[]): Promise<Error[]> {
  const errors: Error[] = [];
  for (const part of parts) {
    try {
      await part.stop();
    } catch (error) {
      errors.push(error as Error);
    }
  }
  return errors;
}

/** Mount points at or below `dir` in our mount namespace. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const result: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (!mountPoint) continue;
    const decoded = mountPoint.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    if (decoded === dir || decoded.startsWith(dir + '/')) result.push(decoded);
  }
  return result;
}

/** What the sandbox needs from the machine, each with how to look for it. */
const SANDBOX_TOOLS: { name: string; candidates: string[] }[] = [
  { name: 'sshd (/usr/sbin/sshd, Debian openssh-server)', candidates: ['/usr/sbin/sshd'] },
  { name: 'ssh-keygen (openssh-client)', candidates: ['ssh-keygen'] },
  { name: 'rsync', candidates: ['rsync'] },
  { name: 'mkfs.ext4 (e2fsprogs)', candidates: ['mkfs.ext4'] },
  { name: 'losetup (util-linux)', candidates: ['losetup'] },
  { name: 'tar', candidates: ['tar'] },
];

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = name.includes('/') ? [''] : [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN];
  for (const d of dirs) {
    const candidate = d ? path.join(d, name) : name;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** The sandbox parts missing from this machine (empty when everything is there). */
export async function requireSandboxTools(): Promise<string[]> {
  const missing: string[] = [];
  const python = (async () => {
    try {
      // find_spec is quick (no import of moto's many modules); the server needs flask and flask_cors too.
      await run('python3', [
        '-c',
        'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("moto", "flask", "flask_cors")) else 1)',
      ], { timeout: 30_000 });
      return undefined;
    } catch {
      return 'python3 -m moto.server (moto[server] for python3)';
    }
  })();
  const tools = SANDBOX_TOOLS.map(async (tool) => {
    for (const candidate of tool.candidates) if (await findExecutable(candidate)) return undefined;
    return tool.name;
  });
  for (const result of await Promise.all([python, ...tools])) if (result) missing.push(result);
  return missing;
}
