/**
 * `npm run bench`: offsite against the OpenSSH / rsync baselines, on the same data, in the same run.
 * Prints ratios; it is a measurement, not a test (timings on a shared machine are noisy).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSandbox, type Sandbox } from '../test/sandbox/sandbox.js';
import { benchRestore, offsiteJson, rate, seconds, sshCommand, timed, withNodeOnPath } from './bench-restore.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

interface OffsiteRun {
  transferMs: number;
  /** The dd read-back (verify phase); 0 for rsync. */
  proofMs: number;
  /** The whole process: start-up, control plane, transfer, proof, clean-up. */
  wallMs: number;
  bytes: number;
  peakRssBytes: number;
  volumeId: string;
  phases: Map<string, number>;
}

/** `offsite ebs … --json`: the transfer phase's time, the whole run's, and the process's peak RSS. */
async function offsiteEbs(args: string[], env: NodeJS.ProcessEnv, phase: 'dd' | 'rsync'): Promise<OffsiteRun> {
  const done = await offsiteJson(['ebs', ...args], env, phase);
  return {
    transferMs: done.phaseMs,
    proofMs: done.phases.get('verify') ?? 0,
    wallMs: done.wallMs,
    bytes: Number(done.result.bytesTransferred),
    peakRssBytes: done.peakRssBytes,
    volumeId: String(done.result.volumeId),
    phases: done.phases,
  };
}

const range = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length > 1 ? `${sorted[0]!.toFixed(2)} – ${sorted.at(-1)!.toFixed(2)}` : sorted[0]!.toFixed(2);
};

async function makeDataTree(dir: string, totalBytes: number, fileBytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i * fileBytes < totalBytes; i++) {
    await run('sh', ['-c', `head -c ${fileBytes} /dev/urandom > '${join(dir, `data-${i}.bin`)}'`]);
  }
}

async function makeSmallFilesTree(dir: string, count: number): Promise<void> {
  await run('sh', [
    '-c',
    `mkdir -p '${dir}' && cd '${dir}' && i=0; while [ $i -lt ${count} ]; do d=d$((i / 100)); mkdir -p $d; head -c $(( (i % 61 + 1) * 1024 )) /dev/urandom > $d/f$i; i=$((i+1)); done`,
  ]);
}

/** A scratch block device for the baselines, like the volume offsite writes to. */
async function loopDevice(file: string, bytes: number): Promise<string> {
  await run('truncate', ['-s', String(bytes), file]);
  const { stdout } = await run('losetup', ['--find', '--show', file]);
  return stdout.trim();
}


async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'offsite-bench-'));
  let sandbox: Sandbox | undefined;
  const loops: string[] = [];
  const mounts: string[] = [];
  try {
    sandbox = await startSandbox();
    const env = { ...process.env, ...sandbox.env };
    const ssh = sshCommand(sandbox);
    const lines: string[] = [];

    const only = process.env.BENCH_ONLY;
    const oneGiB = join(work, 'one-gib');
    if (only !== 'rsync') {
      say('generating data: 1 GiB of random data in 64 MiB files …');
      await makeDataTree(oneGiB, GiB, 64 * MiB);
    }

    // 1. dd: the whole offsite run (start-up, instance, volume, transfer, O_DIRECT read-back, clean-up) against the
    // original tool's pipeline alone, `tar cf - dir | ssh host 'dd of=DEVICE bs=1M'`, on a fresh sparse device each
    // time as offsite's new volume is. Alternating, the order swapped every round: the disk under the loop files is
    // shared and noisy, so every round's ratio is printed as well as the best of each.
    const rounds = only === 'rsync' ? 0 : Number(process.env.BENCH_DD_ROUNDS ?? 3);
    const oursRuns: OffsiteRun[] = [];
    const baselineRuns: number[] = [];
    const ours = async (round: number): Promise<void> => {
      say(`dd round ${round}: offsite ebs …`);
      oursRuns.push(await offsiteEbs([oneGiB], env, 'dd'));
    };
    const baseline = async (round: number): Promise<void> => {
      say(`dd round ${round}: tar cf - dir | ssh host 'dd of=… bs=1M' (OpenSSH) …`);
      const device = await loopDevice(join(work, `baseline-dd-${round}.img`), 3 * GiB);
      loops.push(device);
      baselineRuns.push(await timed(`tar cf - -C '${oneGiB}' . | ${ssh} root@127.0.0.1 'dd of=${device} bs=1M'`, env));
    };
    for (let round = 1; round <= rounds; round++) {
      if (round % 2 === 1) {
        await ours(round);
        await baseline(round);
      } else {
        await baseline(round);
        await ours(round);
      }
    }
    const best = oursRuns.reduce((a, b) => (a.wallMs <= b.wallMs ? a : b), oursRuns[0]!);
    const baselineMs = Math.min(...baselineRuns);
    const perRound = oursRuns.map((run, i) => baselineRuns[i]! / run.wallMs);
    if (rounds > 0) lines.push(
      `dd end to end        offsite ${seconds(best.wallMs)} (${rate(best.bytes, best.wallMs)})  tar | ssh dd bs=1M ${seconds(baselineMs)} (${rate(best.bytes, baselineMs)})  ratio ${(baselineMs / best.wallMs).toFixed(2)} best of ${rounds}, ${range(perRound)} per round (target ≥ 1.0)`,
    );
    for (const [i, r] of oursRuns.entries()) {
      const slow = [...r.phases].filter(([, ms]) => ms >= 200).map(([name, ms]) => `${name} ${seconds(ms)}`);
      lines.push(`dd run ${i + 1}            ${seconds(r.wallMs)}: ${slow.join(', ')}; baseline ${seconds(baselineRuns[i]!)}`);
    }
    const ours1 = best;
    if (only === 'dd') {
      say('\nresults');
      for (const line of lines) say(`  ${line}`);
      return;
    }

    // 2. rsync: offsite vs rsync -a -e ssh, many small files plus the big ones.
    say('generating data: 3000 small files …');
    const small = join(work, 'small-files');
    await makeSmallFilesTree(small, 3000);
    say('rsync: offsite ebs --method rsync …');
    const oursRsync = await offsiteEbs([small, '--method', 'rsync'], env, 'rsync');
    say('rsync: rsync -a -e ssh …');
    const rsyncDevice = await loopDevice(join(work, 'baseline-rsync.img'), 2 * GiB);
    loops.push(rsyncDevice);
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', rsyncDevice]);
    const mnt = join(work, 'baseline-mnt');
    await mkdir(mnt);
    await run('mount', [rsyncDevice, mnt]);
    mounts.push(mnt);
    const rsyncMs = await timed(`rsync -a -e "${ssh}" '${small}/' root@127.0.0.1:'${mnt}/'`, env);
    lines.push(
      `rsync                offsite ${seconds(oursRsync.wallMs)} end to end (rsync phase ${seconds(oursRsync.transferMs)})  rsync -a -e ssh ${seconds(rsyncMs)}  ratio ${(rsyncMs / oursRsync.wallMs).toFixed(2)} end to end, ${(rsyncMs / oursRsync.transferMs).toFixed(2)} rsync phase (target ≥ 1.0)`,
    );
    const slow = [...oursRsync.phases].filter(([, ms]) => ms >= 200).map(([name, ms]) => `${name} ${seconds(ms)}`);
    lines.push(`rsync run            ${slow.join(', ')}`);
    if (only === 'rsync') {
      say('\nresults');
      for (const line of lines) say(`  ${line}`);
      return;
    }

    // 3. Restore: the same two volumes back, against head -c | tar -x and an rsync -a pull.
    lines.push(...(await benchRestore({ sandbox, env, work, ddVolume: ours1.volumeId, rsyncVolume: oursRsync.volumeId })));

    // 4. Memory: peak RSS of the offsite process for 1 GiB and 4 GiB (dd).
    say('generating data: 3 more GiB …');
    const fourGiB = join(work, 'four-gib');
    await makeDataTree(fourGiB, 4 * GiB, 256 * MiB);
    await rm(oneGiB, { recursive: true, force: true });
    say('dd: offsite ebs on 4 GiB …');
    const big = await offsiteEbs([fourGiB], env, 'dd');
    lines.push(
      `peak RSS (dd)        1 GiB ${(ours1.peakRssBytes / MiB).toFixed(0)} MB  4 GiB ${(big.peakRssBytes / MiB).toFixed(0)} MB  (target ≤ 200 MB and flat); 4 GiB at ${rate(big.bytes, big.transferMs)}`,
    );

    // 5. Start-up: --help of both binaries.
    for (const [name, argv] of [['ec2-backup', '-h'], ['offsite', '--help']] as const) {
      const times: number[] = [];
      for (let i = 0; i < 15; i++) times.push(await timed(`'${join(root, 'bin', `${name}.js`)}' ${argv} > /dev/null`, withNodeOnPath(env)));
      times.sort((a, b) => a - b);
      lines.push(`${`${name} ${argv}`.padEnd(20)} median ${times[7]!.toFixed(0)} ms, best ${times[0]!.toFixed(0)} ms over 15 runs (target ≤ 100 ms median)`);
    }

    say('\nresults');
    for (const line of lines) say(`  ${line}`);
  } finally {
    for (const mnt of mounts) await run('umount', [mnt]).catch(() => undefined);
    for (const loop of loops) await run('losetup', ['-d', loop]).catch(() => undefined);
    await sandbox?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
