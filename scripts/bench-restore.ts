/**
 * Restore throughput against the OpenSSH / rsync baselines on the same volumes, in the same run: offsite restore of a
 * dd volume vs `ssh host 'head -c N dev' | tar -x`, of an rsync volume vs `rsync -a` pulling the same tree.
 * Used by `npm run bench`, or on its own (`npm run bench:restore`, smaller data) with the volumes it makes first.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSandbox, type Sandbox } from '../test/sandbox/sandbox.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 ** 2;

/** The binaries' shebang runs `node` from PATH: make it this one (Node 24). */
export function withNodeOnPath(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: `${dirname(process.execPath)}:${env.PATH ?? ''}` };
}

export interface OffsiteJsonRun {
  /** Elapsed time of the named phase. */
  phaseMs: number;
  /** Elapsed time of every phase that ended. */
  phases: Map<string, number>;
  peakRssBytes: number;
  /** The whole run, from spawning the process to its exit: start-up, control plane, transfer, proof, clean-up. */
  wallMs: number;
  result: Record<string, unknown>;
}

/** Runs `offsite <argv> --json`, reads one phase's time and the process's peak RSS (VmHWM) before it exits. */
export function offsiteJson(argv: string[], env: NodeJS.ProcessEnv, phase: string): Promise<OffsiteJsonRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(join(root, 'bin', 'offsite.js'), [...argv, '--json'], { env: withNodeOnPath(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let stderr = '';
    let phaseMs = 0;
    const phases = new Map<string, number>();
    let peakRssBytes = 0;
    let result: Record<string, unknown> | undefined;
    let failure = '';
    const sampleRss = async (): Promise<void> => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) peakRssBytes = Math.max(peakRssBytes, Number(hwm[1]) * 1024);
    };
    const sampler = setInterval(() => void sampleRss(), 200);
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as { type: string; phase?: string; elapsedMs?: number; message?: string; result?: Record<string, unknown> };
        if (event.type === 'phase-end' && event.phase) phases.set(event.phase, event.elapsedMs ?? 0);
        if (event.type === 'phase-end' && event.phase === phase) phaseMs = event.elapsedMs ?? 0;
        if (event.type === 'error') failure = event.message ?? '';
        if (event.type === 'result') {
          result = event.result;
          void sampleRss();
        }
      }
    });
    child.on('close', (code) => {
      clearInterval(sampler);
      if (code !== 0 || !result) return reject(new Error(`offsite ${argv[0]} failed (${code}): ${failure || stderr.trim().split('\n').pop()}`));
      resolve({ phaseMs, phases, peakRssBytes, wallMs: Number(process.hrtime.bigint() - started) / 1e6, result });
    });
  });
}

export async function timed(command: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  await run('sh', ['-c', command], { env, maxBuffer: 16 * MiB });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function rate(bytes: number, ms: number): string {
  return `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
}

/** `ssh …` for the sandbox's sshd, as the baselines use it. */
export function sshCommand(sandbox: Sandbox): string {
  const { sshd } = sandbox;
  return `ssh -p ${sshd.port} -i '${sshd.clientKeyPath}' -o UserKnownHostsFile='${sshd.knownHostsPath}' -o BatchMode=yes`;
}

/**
 * Runs `ours` and `baseline` twice each, alternating (ours, baseline, baseline, ours): the page cache and the shared
 * disk favour whoever reads second, and whatever the machine does meanwhile lands on both. Returns every time.
 */
async function alternate(ours: (round: number) => Promise<number>, baseline: (round: number) => Promise<number>): Promise<{ ours: number[]; baseline: number[] }> {
  const times = { ours: [] as number[], baseline: [] as number[] };
  times.ours.push(await ours(1));
  times.baseline.push(await baseline(1));
  times.baseline.push(await baseline(2));
  times.ours.push(await ours(2));
  return times;
}

/**
 * The restore lines of the report. `dd` and `rsync` are volumes offsite ebs wrote; their backing files stand in for
 * the devices the baselines read (the attach agent exposes exactly those files as the volumes).
 */
export async function benchRestore(options: { sandbox: Sandbox; env: NodeJS.ProcessEnv; work: string; ddVolume: string; rsyncVolume: string }): Promise<string[]> {
  const { sandbox, env, work } = options;
  const ssh = sshCommand(sandbox);
  const lines: string[] = [];
  /**
   * An empty place to restore into, on a settled disk: the previous pass's writes (up to a GiB of dd image) are
   * flushed now rather than during the next timed pass, which would otherwise pay for whoever ran before it.
   */
  const fresh = async (name: string): Promise<string> => {
    const dir = join(work, name);
    await rm(dir, { recursive: true, force: true });
    await run('sync');
    return dir;
  };

  const tags = await ddBytes(sandbox, options.ddVolume);
  let peak = 0;
  const dd = await alternate(
    async (round) => {
      process.stdout.write(`restore dd round ${round}: offsite restore --volume …\n`);
      const ours = await offsiteJson(['restore', '--volume', options.ddVolume, await fresh('restore-dd')], env, 'restore');
      peak = Math.max(peak, ours.peakRssBytes);
      return ours.phaseMs;
    },
    async (round) => {
      process.stdout.write(`restore dd round ${round}: ssh host 'head -c N dev' | tar -x …\n`);
      const baseDir = await fresh('restore-dd-baseline');
      await mkdir(baseDir);
      // Through a loop device, as the attached volume is read: a block device reads slower than its backing file.
      const loop = (await run('losetup', ['--find', '--show', '--read-only', sandbox.volumeFile(options.ddVolume)])).stdout.trim();
      try {
        return await timed(`${ssh} root@127.0.0.1 'head -c ${tags} ${loop}' | tar -x --numeric-owner -C '${baseDir}'`, env);
      } finally {
        await run('losetup', ['-d', loop]).catch(() => undefined);
      }
    },
  );
  const ddMs = Math.min(...dd.ours);
  const ddBaseMs = Math.min(...dd.baseline);
  lines.push(`restore dd           offsite ${rate(tags, ddMs)}  ssh head -c | tar -x ${rate(tags, ddBaseMs)}  ratio ${(ddBaseMs / ddMs).toFixed(2)} (target ≥ 1.0, best of 2 each; offsite also hashes the stream); peak RSS ${(peak / MiB).toFixed(0)} MB`);

  const proofMs: number[] = [];
  const rsync = await alternate(
    async (round) => {
      process.stdout.write(`restore rsync round ${round}: offsite restore --volume …\n`);
      const ours = await offsiteJson(['restore', '--volume', options.rsyncVolume, await fresh('restore-rsync')], env, 'restore');
      proofMs.push(ours.phases.get('verify') ?? 0);
      return ours.phaseMs;
    },
    async (round) => {
      process.stdout.write(`restore rsync round ${round}: rsync -a pull …\n`);
      // Mounted for this pass only: offsite's own passes attach the same backing file.
      const mnt = await mkdtemp(join(work, 'rsync-src-'));
      await run('mount', ['-o', 'loop,ro', sandbox.volumeFile(options.rsyncVolume), mnt]);
      try {
        const pulled = await fresh('restore-rsync-baseline');
        return await timed(`rsync -a -e "${ssh}" root@127.0.0.1:'${mnt}/' '${pulled}/'`, env);
      } finally {
        await run('umount', [mnt]).catch(() => undefined);
        await rm(mnt, { recursive: true, force: true });
      }
    },
  );
  const oursMs = Math.min(...rsync.ours);
  const baseMs = Math.min(...rsync.baseline);
  const each = rsync.ours.map((ms, i) => `${seconds(ms)}/${seconds(rsync.baseline[i]!)}`).join(', ');
  lines.push(
    `restore rsync        offsite ${seconds(oursMs)}  rsync -a pull ${seconds(baseMs)}  ratio ${(oursMs / baseMs).toFixed(2)} (time, target ≤ 1.2, best of 2 each; rounds ${each}); then the checksum proof ${seconds(Math.min(...proofMs))}`,
  );
  return lines;
}

async function ddBytes(sandbox: Sandbox, volumeId: string): Promise<number> {
  const { DescribeVolumesCommand } = await import('@aws-sdk/client-ec2');
  const found = await sandbox.ec2().send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  return Number(found.Volumes?.[0]?.Tags?.find((t) => t.Key === 'offsite:dd-bytes')?.Value ?? 0);
}

/** On its own: 512 MiB of 64 MiB files (dd) and 2,000 small files (rsync), backed up first. */
async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'offsite-bench-restore-'));
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await startSandbox();
    const env = { ...process.env, ...sandbox.env };
    const big = join(work, 'big');
    await run('sh', ['-c', `mkdir -p '${big}' && for i in 1 2 3 4 5 6 7 8; do head -c ${64 * MiB} /dev/urandom > '${big}'/data-$i.bin; done`]);
    const small = join(work, 'small');
    await run('sh', ['-c', `mkdir -p '${small}' && cd '${small}' && i=0; while [ $i -lt 2000 ]; do d=d$((i / 100)); mkdir -p $d; head -c $(( (i % 61 + 1) * 1024 )) /dev/urandom > $d/f$i; i=$((i+1)); done`]);
    process.stdout.write('backing up (dd, rsync) …\n');
    const dd = await offsiteJson(['ebs', big], env, 'dd');
    const rs = await offsiteJson(['ebs', small, '--method', 'rsync'], env, 'rsync');
    const lines = await benchRestore({ sandbox, env, work, ddVolume: String(dd.result.volumeId), rsyncVolume: String(rs.result.volumeId) });
    process.stdout.write('\nresults\n');
    for (const line of lines) process.stdout.write(`  ${line}\n`);
  } finally {
    await sandbox?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
