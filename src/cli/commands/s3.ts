import type { Command } from 'commander';
import type { S3CommandInput, S3Plans } from '../plans/s3.js';
import type { CedarResult, S3StoreResult } from '../../core/s3/plan.js';
import { choosePresenter, type Presenter } from '../output-mode.js';
import { helpExtras } from '../help-text.js';
import { sharedFlag, type SharedFlags } from '../shared-flags.js';
import { reportEarlyFailure } from '../early-failure.js';
import { s3ResultLines } from '../../ui/s3-result.js';
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
  const { cedarStorePhases, s3StorePhases } = await import('../../core/s3/phases.js');
  const store = plans.kind === 'dir' ? plans.plan : plans.plan.store;
  const shape = { encrypted: store.encryption.kind !== 'none', dryRun: store.dryRun };
  const presenter = await choosePresenter(flags, 'offsite', plans.kind === 'dir' ? s3StorePhases(shape) : cedarStorePhases(shape));
  let finished: S3StoreResult | CedarResult | undefined;
  const code = await runS3Plans(plans, flags, presenter, (result) => (finished = result), nonAws && flags.checksumAlgorithm === undefined);
  await presenter.close();
  if (finished && !json) presenter.result(s3ResultLines(finished));
  return code;
}

async function runS3Plans(
  plans: S3Plans,
  flags: S3Flags,
  presenter: Presenter,
  onResult: (result: S3StoreResult | CedarResult) => void,
  defaultedToCrc32: boolean,
): Promise<number> {
  // The AWS SDK loads only when work starts.
  const [{ runWork }, { resolveS3Context, s3Clients }, { RunLedger, newRunId, stateDir }, { runS3Store }, { runCedarStore }] = await Promise.all([
    import('../run.js'),
    import('../../aws/s3.js'),
    import('../../core/ledger/ledger.js'),
    import('../../core/s3/store.js'),
    import('../../core/s3/cedar.js'),
  ]);
  return runWork<S3StoreResult | CedarResult>({
    sink: presenter.sink,
    onResult,
    onInterruptNotice: (message) => presenter.notice(message),
    work: async (control) => {
      const context = await resolveS3Context({
        ...(flags.region ? { region: flags.region } : {}),
        ...(flags.profile ? { profile: flags.profile } : {}),
      });
      const endpointNotes = context.nonAws
        ? [
            `endpoint ${context.endpoint} is not AWS: path-style addressing; SDK checksums only where an operation requires them (WHEN_REQUIRED)`,
            ...(defaultedToCrc32
              ? ['full-object CRC32 instead of CRC64NVME (moto 5.2 without awscrt stores a CRC32 under the CRC64NVME name); --checksum-algorithm overrides']
              : []),
          ]
        : [];
      const clients = s3Clients(context);
      try {
        const dir = stateDir();
        const ledger = await RunLedger.open(newRunId(), dir);
        const deps = { s3: clients, ledger, stateDir: dir, endpointNotes };
        const result = plans.kind === 'dir' ? await runS3Store(plans.plan, deps, control) : await runCedarStore(plans.plan, deps, control);
        control.emit({ type: 'result', result: { ...result } });
        return result;
      } finally {
        clients.destroy();
      }
    },
  });
}
