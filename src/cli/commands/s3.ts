import type { Command } from 'commander';
import type { S3CommandInput, S3Plans } from '../plans/s3.js';
import { helpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { COMMANDS } from '../command-catalog.js';

type S3Flags = Omit<S3CommandInput, 'dir' | 'destination'> & SharedFlags;

/** `offsite s3`: store a directory in S3, or run the Cedar Backup amazons3 action from cback3.conf. */
export function registerS3Command(program: Command): void {
  program
    .command('s3')
    .description(COMMANDS.s3.description)
    .argument('[dir]', 'the directory whose files are stored')
    .argument('[destination]', 's3://bucket[/prefix]')
    .option('--cedar-config <file>', 'Cedar Backup mode: read <amazons3>, <options> and <stage> from this cback3.conf')
    .option('--full', 'Cedar: today\'s staging directory only, even if already stored; the full size limit applies')
    .option('--date <YYYY-MM-DD>', 'Cedar: take this day as today (to store a missed day)')
    .option('--delete', 'remove objects under the prefix that the directory no longer has (after everything verified)')
    .option('--dry-run', 'compare and report what would be sent and removed; change nothing')
    .option('--storage-class <class>', 'storage class of the stored objects, e.g. STANDARD_IA, GLACIER_IR, DEEP_ARCHIVE')
    .option('--sse <type>', 'server-side encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS)')
    .option('--sse-kms-key-id <key>', 'KMS key for SSE-KMS (implies --sse aws:kms)')
    .option('--encrypt <method>', 'encrypt each file before upload: gpg (symmetric OpenPGP, AES256; needs --passphrase-file)')
    .option('--encrypt-command <template>', 'encrypt with your command; ${input} and ${output} are replaced, no shell is used')
    .option('--passphrase-file <file>', 'passphrase for --encrypt gpg (first line; never taken on the command line)')
    .option('--work-dir <dir>', 'where the private temporary directory for encrypted copies goes (default: TMPDIR)')
    .option('--size-limit <size>', 'refuse before sending anything if the files add up to more, e.g. 2.5 GB')
    .option('--bwlimit <rate>', 'limit the upload, e.g. 500K, 20M (per second, all requests together)')
    .option('--concurrency <n>', 'requests in flight at once (default 4)')
    .option('--part-size <size>', 'multipart part size (default 16 MB, minimum 5 MB)')
    .option('--multipart-threshold <size>', 'files at least this large go up in parts and can resume (default 16 MB)')
    .option('--checksum-algorithm <alg>', 'full-object checksum: CRC64NVME (default on AWS) or CRC32 (default elsewhere)')
    .option('--no-resume', 'discard what interrupted runs left (incomplete uploads, staged objects) and start over')
    .addOption(sharedFlag('region'))
    .addOption(sharedFlag('profile'))
    .addOption(sharedFlag('json'))
    .addOption(sharedFlag('quiet'))
    .addOption(sharedFlag('verbose'))
    .addOption(sharedFlag('nonInteractive', 'offsite s3 never prompts'))
    .addHelpText(
      'after',
      helpExtras({
        environment: ['AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'TMPDIR', 'OFFSITE_STATE_DIR', 'OFFSITE_DEBUG'],
        exitCodes: {
          3: 'a stored object differs from its file (size, checksum, SHA-256)',
          4: 'stored, but a temporary directory or lock was left behind; offsite cleanup removes it',
        },
        examples: [
          'offsite s3 /srv/www s3://example-backups/www',
          'offsite s3 --delete --storage-class STANDARD_IA /home s3://example-backups/home',
          'offsite s3 --cedar-config /etc/cback3.conf --full',
        ],
        notes: 'Prints the destination URL on stdout. Interrupted uploads resume on the next run of the same command. More: docs/s3.md',
      }),
    )
    .action(async (dir: string | undefined, destination: string | undefined, flags: S3Flags) => {
      process.exitCode = await s3Action(dir, destination, flags);
    });
}

async function s3Action(dir: string | undefined, destination: string | undefined, flags: S3Flags): Promise<number> {
  const json = Boolean(flags.json);
  let plans: S3Plans;
  let nonAws: boolean;
  try {
    // Lazy: the XML parser and plan checks load only when the command runs.
    const { buildS3Plans } = await import('../plans/s3.js');
    const { s3Endpoint } = await import('../../aws/endpoint.js');
    nonAws = s3Endpoint().nonAws;
    plans = await buildS3Plans({ ...flags, ...(dir !== undefined ? { dir } : {}), ...(destination !== undefined ? { destination } : {}) }, nonAws);
  } catch (error) {
    return reportEarlyFailure(error, { json, program: 'offsite' });
  }
  const { executeS3 } = await import('../s3-run.js'); // the AWS SDK loads only when work starts
  return executeS3(plans, flags, nonAws);
}
