import { Command, CommanderError } from 'commander';
import { UsageError, describeError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { ec2BackupWording } from './commands/flag-advice.js';
import { helpExtras, wrapHelpToTerminal } from './help-text.js';
import { commanderError } from './run-program.js';

const USAGE = 'ec2-backup [-h] [-m method] [-v volume-id] dir';

/** The original's command line, as commander sees it (help, man page and docs checks read it too). */
export function buildEc2BackupProgram(): Command {
  const program = new Command('ec2-backup')
    .usage('[-h] [-m method] [-v volume-id] dir')
    .description('Back up a directory into Elastic Block Storage (EBS).')
    .helpOption('-h', 'print this usage and exit')
    .option('-m <method>', 'dd (default): tar onto the raw volume; rsync: (incremental) filesystem sync')
    .option('-v <volume-id>', 'back up onto this existing volume instead of creating one')
    .option('--snapshot', 'after the verified backup, also snapshot the volume (off by default; the output stays the volume id)')
    .argument('<dir>', 'the directory to back up')
    .addHelpText(
      'after',
      helpExtras({
        environment: ['EC2_BACKUP_FLAGS_AWS', 'EC2_BACKUP_FLAGS_SSH', 'EC2_BACKUP_VERBOSE', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL'],
        exitCodes: { 0: 'ok: the volume id is on stdout', 4: 'an instance or volume was left behind; offsite cleanup removes it' },
        examples: ['ec2-backup /srv/www', 'ec2-backup -m rsync -v vol-0123456789abcdef0 /home', 'EC2_BACKUP_VERBOSE=1 ec2-backup -m dd /etc'],
        notes: 'Prints only the volume id on success. The same backup with long flags and JSON: offsite ebs --help.',
      }),
    )
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text), outputError: commanderError('ec2-backup', ` (usage: ${USAGE})`) })
    .showHelpAfterError(false);
  wrapHelpToTerminal(program);
  return program;
}

/**
 * The seed-compatible command: stdout carries only the volume id, on success; progress goes to stderr only
 * when EC2_BACKUP_VERBOSE is set; errors are one line on stderr.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildEc2BackupProgram();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    throw error;
  }
  const options = program.opts<{ m?: string; v?: string; snapshot?: boolean }>();
  const verbose = Boolean(env.EC2_BACKUP_VERBOSE);
  // The seed's own output (no presenter choice), masked like every other command's.
  const redaction = (await import('./redaction.js')).commandRedaction([], env);
  const writeErr = (line: string): void => void process.stderr.write(`${redaction.text(line)}\n`);
  try {
    // Loaded only now, so that -h answers at once.
    const [{ parseMethod, parseVolumeId }, { plainPresenter }, { buildEbsPlan }] = await Promise.all([
      import('../core/ebs/validate.js'),
      import('../ui/plain.js'),
      import('./plans/ebs.js'),
    ]);
    const method = parseMethod(options.m);
    const volumeId = options.v === undefined ? undefined : parseVolumeId(options.v);
    const plan = await buildEbsPlan({ dir: program.args[0]!, method, ...(volumeId ? { volumeId } : {}), ...(options.snapshot ? { snapshot: true } : {}) }, env);
    const { executeEbsBackup } = await import('./ebs-run.js'); // the AWS SDK loads only when work starts
    return await executeEbsBackup({
      plan,
      sink: redaction.sink(plainPresenter(writeErr, { level: verbose ? 'verbose' : 'quiet', program: 'ec2-backup' })),
      onResult: (result) => process.stdout.write(`${result.volumeId}\n`),
      onInterruptNotice: (message) => writeErr(`ec2-backup: ${message}`),
      words: ec2BackupWording,
    });
  } catch (error) {
    writeErr(`ec2-backup: ${describeError(error, ec2BackupWording)}`);
    return error instanceof UsageError ? ExitCode.usage : ExitCode.failed;
  }
}
