/**
 * `npm run demo`: a real backup of fixtures/sample-tree through the sandbox, with both methods, each read back
 * from the volume's backing file and compared byte for byte with the source.
 */
import { execFile, spawn } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSandbox, type Sandbox } from '../test/sandbox/sandbox.js';
import { describeTree, treeDifferences } from '../test/helpers/trees.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
/** The binaries' shebang runs `node` from PATH: make it this one (Node 24). */
function withNodeOnPath(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: `${dirname(process.execPath)}:${env.PATH ?? ''}` };
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

function offsite(bin: 'offsite' | 'ec2-backup', args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  say(`\n$ ${bin} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'bin', `${bin}.js`), args, { env: withNodeOnPath(env), stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.on('close', (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`${bin} exited with ${code}`))));
  });
}

async function compare(label: string, source: string, copy: string, ignore: string[] = []): Promise<void> {
  const differences = treeDifferences(await describeTree(source), await describeTree(copy, ignore));
  if (differences.length > 0) throw new Error(`${label}: the backup differs from the source:\n${differences.join('\n')}`);
  const entries = (await describeTree(source)).size;
  say(`✓ ${label}: read back from the volume, all ${entries} entries identical to the source (content, modes, links, times)`);
}

async function main(): Promise<void> {
  say('Starting the sandbox: moto (EC2), an OpenSSH sshd standing in for the instance, and the attach agent…');
  let sandbox: Sandbox | undefined;
  const work = await mkdtemp(join(tmpdir(), 'offsite-demo-'));
  try {
    sandbox = await startSandbox();
    const env = { ...process.env, ...sandbox.env };
    const source = join(work, 'sample-tree');
    await cp(join(root, 'fixtures', 'sample-tree'), source, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });

    const ddVolume = await offsite('ec2-backup', [source], { ...env, EC2_BACKUP_VERBOSE: '1' });
    say(`stdout: ${ddVolume}`);
    const restored = join(work, 'restored-dd');
    await mkdir(restored);
    await run('tar', ['--extract', '--file', sandbox.volumeFile(ddVolume), '--directory', restored]);
    await compare(`dd backup on ${ddVolume}`, source, restored);

    const rsyncVolume = await offsite('offsite', ['ebs', source, '--method', 'rsync'], env);
    await appendFile(join(source, 'docs', 'report.txt'), 'Q4 31\n');
    await offsite('offsite', ['ebs', source, '--method', 'rsync', '--volume', rsyncVolume], env);
    const mnt = join(work, 'mnt');
    await mkdir(mnt);
    await run('mount', ['-o', 'loop,ro', sandbox.volumeFile(rsyncVolume), mnt]);
    try {
      await compare(`rsync backup on ${rsyncVolume}, after an incremental run`, source, mnt, ['lost+found']);
    } finally {
      await run('umount', [mnt]);
    }
    say('\nDone: both backups were proved by reading them back. Nothing is left running in the sandbox.');
  } finally {
    await sandbox?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
