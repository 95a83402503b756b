/**
 * `npm run sandbox`: start the sandbox, print the environment that points offsite at it, run until Ctrl-C or
 * SIGTERM, then stop everything (moto, sshd, the job-service fakes, loop devices, by-id links, the temp dir).
 *
 * stdout carries only `export` lines and `#` comments, so it can be pasted into another shell as it is.
 * Attach/detach activity goes to stderr.
 */
import { sandboxAvailable } from './require.js';
import { SANDBOX_BUCKETS, exportLines, startSandbox, type Sandbox } from './sandbox.js';

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  try {
    await sandboxAvailable();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }

  const startedAt = Date.now();
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ keep, jobServices: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }

  const { sshd, moto, agent } = sandbox;
  agent.events.on('attached', (v) =>
    process.stderr.write(`sandbox: ${v.volumeId} attached to ${v.instanceId} as ${v.device}${v.link ? ` → ${v.link}` : ''}\n`),
  );
  agent.events.on('detached', (v) => process.stderr.write(`sandbox: ${v.volumeId} detached (kept ${v.file})\n`));
  const printed = new Set<string>();
  agent.events.on('warning', (message) => {
    printed.add(message);
    process.stderr.write(`sandbox: ${message}\n`);
  });

  const lines = [
    `# offsite sandbox, up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s — paste these lines into another shell:`,
    ...exportLines(sandbox.env),
    '#',
    `# moto (EC2/S3 API)    ${moto.endpoint}  (log: ${moto.logPath})`,
    `# sshd (the instance)  ${sshd.user}@${sshd.host}:${sshd.port}  key ${sshd.clientKeyPath}`,
    `# Import/Export fake   ${sandbox.jobs!.importExport.endpoint}   Snowball fake ${sandbox.jobs!.snowball.endpoint}`,
    `# buckets              ${SANDBOX_BUCKETS.map((b) => `s3://${b}`).join(' ')}`,
    `# volumes              attached volumes appear as loop devices at /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol…`,
    `#                      backed by sparse files in ${sandbox.dir}/volumes/`,
    `# Then e.g.:  offsite ebs --method rsync fixtures/sample-tree`,
    `#             offsite s3 fixtures/sample-tree s3://offsite-sandbox/demo`,
    `#             offsite export create-job --dry-run fixtures/manifests/export.yml`,
    `# Ctrl-C here stops the sandbox${keep ? '; --keep: its files stay' : ' and removes its files'}.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  process.stderr.write(`sandbox: ${signal}, stopping…\n`);
  // A second Ctrl-C must not kill us half-way through releasing loop devices and links.
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => process.stderr.write('sandbox: still stopping…\n'));
  try {
    await sandbox.stop();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  for (const warning of sandbox.warnings.filter((w) => !printed.has(w))) process.stderr.write(`sandbox: ${warning}\n`);
  process.stderr.write('sandbox: stopped\n');
  return 0;
}

// Exit explicitly: a stray handle must not keep a stopped sandbox's process alive.
process.exit(await main());
