import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../../src/core/export/service.js';
import { WizardApp, type WizardOutcome } from '../../../src/wizard/app.js';
import { commandLine } from '../../../src/wizard/answers.js';
import type { AwsChoice, WizardServices } from '../../../src/wizard/services.js';
import { repoRoot } from '../../helpers/cli.js';
import { testServices } from './doubles.js';
import { drive, KEY } from './drive.js';

const { down: DOWN, up: UP, backspace: BACKSPACE, enter: ENTER, esc: ESC } = KEY;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-wizard-flows-'));
  await mkdir(join(work, 'data'));
  await writeFile(join(work, 'data', 'a.txt'), 'a');
  await writeFile(join(work, 'plain-file'), 'not a directory');
});
afterAll(() => rm(work, { recursive: true, force: true }));

const JOBS: JobSummary[] = [
  { jobId: 'ABCDE', jobType: 'Export', creationDate: '2026-11-30T10:00:00Z', cancelled: false },
  { jobId: 'FGHIJ', jobType: 'Export', creationDate: '2026-11-01T10:00:00Z', cancelled: true },
];

/** The whole wizard on test services; `asked` records the account every AWS query was asked with. */
function start(extra: Partial<WizardServices> = {}) {
  const asked: AwsChoice[] = [];
  const state: { outcome?: WizardOutcome } = {};
  const services = testServices(work, { listExportJobs: async (_service, aws) => (asked.push(aws ?? {}), JOBS), ...extra }, asked);
  const ui = render(<WizardApp services={services} onDone={(o) => (state.outcome = o)} />);
  const screen = drive(ui);
  /** Moves the cursor down to the choice matching `label`, each move seen, then Enter. */
  const choose = async (label: RegExp, next: string | RegExp): Promise<void> => {
    const cursor = new RegExp(`› ${label.source}`, 'm');
    for (let moves = 0; !cursor.test(screen.frame()); moves++) {
      if (moves > 50) throw new Error(`the cursor never reached ${label}; the screen shows:\n${screen.frame()}`);
      const before = screen.frame();
      const lines = before.split('\n');
      const at = lines.findIndex((l) => l.trim().startsWith('›'));
      const target = lines.findIndex((l) => label.test(l));
      screen.press(target < at ? UP : DOWN);
      await screen.until(() => screen.frame() !== before, `the cursor to move towards ${label}`);
    }
    screen.press(ENTER);
    await screen.settled(next);
  };
  const type = async (text: string, next: string | RegExp): Promise<void> => {
    screen.press(text);
    await screen.input(text);
    screen.press(ENTER);
    await screen.settled(next);
  };
  const finished = () => screen.until(() => state.outcome, 'the wizard to finish');
  return { ui, screen, choose, type, finished, asked };
}

/** The exact command line on the review screen, joined back into one line. */
const shownCommand = (frame: string): string => /from a script:\n([\s\S]*?)\n\s*\n/.exec(frame)![1]!.replace(/\s*\n\s*/g, ' ').trim();

describe('the account', () => {
  it('lists the profiles and regions; the chosen ones go on the command line and into the checks', async () => {
    const checked: Array<{ url: string; aws?: AwsChoice }> = [];
    const { ui, screen, choose, type, finished } = start({ checkBucket: async (url, aws) => (checked.push({ url, ...(aws ? { aws } : {}) }), undefined) });
    await screen.settled('What do you want to do?');
    await choose(/Verify a backup/, 'Which AWS profile?');
    expect(screen.frame()).toContain('region eu-west-1'); // the profile's own region, from its config
    await choose(/work/, 'Which region?');
    await choose(/eu-central-1/, 'Verify what?');
    await choose(/A directory, disk or disk image against S3/, 'Which directory, disk or image?');
    await type(join(work, 'plain-file'), 'Against which S3 prefix?'); // an image file is a valid source
    await type('my-backups/host1', 'How much to compare?');
    await choose(/100 random files, the default settings/, 'The same check from a script:');
    const argv = ['verify', join(work, 'plain-file'), '--bucket', 's3://my-backups/host1', '--profile', 'work', '--region', 'eu-central-1', '--non-interactive'];
    expect(shownCommand(screen.frame())).toBe(commandLine(argv));
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv });
    expect(checked).toEqual([{ url: 's3://my-backups/host1', aws: { profile: 'work', region: 'eu-central-1' } }]);
    ui.unmount();
  });

  it('the default keeps the environment: no flags', async () => {
    const { ui, screen, choose, finished } = start();
    await screen.settled('What do you want to do?');
    await choose(/See what earlier runs left behind/, 'Which AWS profile?');
    await choose(/The default credentials/, 'Which region?');
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['cleanup'] });
    ui.unmount();
  });
});

describe('EBS', () => {
  it("lists the chosen account's volumes; overwriting one with dd needs its id typed back", async () => {
    const volumes = [{ id: 'vol-0cccccccccccccccc', name: 'photos', sizeGiB: 8, zone: 'eu-west-1a', state: 'available' }];
    const listed: AwsChoice[] = [];
    const { ui, screen, choose, type, finished } = start({ listVolumes: async (aws) => (listed.push(aws ?? {}), volumes) });
    await screen.settled('What do you want to do?');
    await choose(/Back up a directory to an EBS volume — dd/, 'Which AWS profile?');
    await choose(/backup/, 'Which region?');
    await choose(/eu-west-1 *$/, 'Which directory?'); // the list's own entry, not the profile's region above it
    await type(join(work, 'data'), /vol-0cccccccccccccccc/);
    expect(listed).toEqual([{ profile: 'backup', region: 'eu-west-1' }]);
    await choose(/vol-0cccccccccccccccc/, 'Type its id to confirm');
    screen.press('vol-0cccccccccccccccc');
    await screen.input('vol-0cccccccccccccccc');
    screen.press(ENTER);
    const argv = ['ebs', join(work, 'data'), '--method', 'dd', '--volume', 'vol-0cccccccccccccccc', '--yes', '--profile', 'backup', '--region', 'eu-west-1', '--non-interactive'];
    expect(await finished()).toEqual({ argv });
    ui.unmount();
  });
});

describe('verify', () => {
  it('a missing source is refused on its screen, with the reason', async () => {
    const { ui, screen, choose, type } = start();
    await screen.settled('What do you want to do?');
    await choose(/Verify a backup/, 'Which AWS profile?');
    await choose(/The default credentials/, 'Which region?');
    await choose(/the profile's region/, 'Verify what?');
    await choose(/A directory, disk or disk image against S3/, 'Which directory, disk or image?');
    await type(join(work, 'nowhere'), /nowhere: no such directory, device or image/);
    expect(screen.frame()).toContain('Which directory, disk or image?');
    ui.unmount();
  });

  it('an EBS volume against its source directory: the volume from the account, the directory checked', async () => {
    const volumes = [{ id: 'vol-0cccccccccccccccc', name: 'photos', sizeGiB: 2, zone: 'us-east-1a', state: 'available' }];
    const { ui, screen, choose, type, finished } = start({ listVolumes: async () => volumes });
    await screen.settled('What do you want to do?');
    await choose(/Verify a backup/, 'Which AWS profile?');
    await choose(/backup/, 'Which region?');
    await choose(/the profile's region \(eu-west-1\)/, 'Verify what?');
    await choose(/An EBS volume against its source directory/, /› vol-0cccccccccccccccc/);
    screen.press(ENTER);
    await screen.settled('Which directory did vol-0cccccccccccccccc back up?');
    await type(join(work, 'plain-file'), /plain-file: not a directory/); // refused here, not later
    for (let left = join(work, 'plain-file'); !left.endsWith('/'); ) {
      left = left.slice(0, -1);
      screen.press(BACKSPACE);
      await screen.input(left);
    }
    screen.press('data');
    await screen.input(join(work, 'data'));
    screen.press(ENTER);
    await screen.settled('How much to compare?');
    await choose(/100 random files/, 'The same check from a script:');
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['verify', join(work, 'data'), '--volume', 'vol-0cccccccccccccccc', '--profile', 'backup', '--non-interactive'] });
    ui.unmount();
  });
});

describe('archive', () => {
  it('reads the profile, shows its plan, and offers the --noop preview first', async () => {
    const { ui, screen, choose, type, finished } = start();
    await screen.settled('What do you want to do?');
    await choose(/Archive a live filesystem/, 'Which archive profile?');
    const profile = join(repoRoot, 'fixtures', 'profiles', 'btrfs-home.ini');
    await type(profile, 'Review');
    await screen.shows('snapshot the btrfs subvolume /srv/btrfs/home into /srv/btrfs/.snapshots/home-offsite');
    expect(screen.frame()).toContain('test the archive (dar -t)');
    expect(screen.frame()).toMatch(/› Preview: print every command/);
    expect(screen.frame()).toContain(commandLine(['archive', '--noop', profile, '--non-interactive']));
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['archive', '--noop', profile, '--non-interactive'] });
    ui.unmount();
  });

  it('a bad profile is refused on its screen with the line of the problem', async () => {
    const { ui, screen, choose, type } = start();
    await screen.settled('What do you want to do?');
    await choose(/Archive a live filesystem/, 'Which archive profile?');
    await type(join(repoRoot, 'fixtures', 'profiles', 'bad', 'unknown-key.ini'), /unknown-key\.ini:\d+: /);
    ui.unmount();
  });
});

describe('existing export jobs', () => {
  /** Mode → export → existing → account (default profile) → the service → the job list. */
  async function toJobs(flow: ReturnType<typeof start>, region = /the profile's region/, service = /AWS Import\/Export Disk/): Promise<void> {
    const { screen, choose } = flow;
    await screen.settled('What do you want to do?');
    await choose(/Ship a disk/, 'A new job or one you have?');
    await choose(/My existing jobs/, 'Which AWS profile?');
    await choose(/The default credentials/, 'Which region?');
    await choose(region, 'Which service holds the jobs?');
    await choose(service, 'ABCDE');
  }

  it('lists the jobs with their state; watching one live is its get-status --watch', async () => {
    const flow = start();
    await toJobs(flow);
    const { ui, screen, choose, finished } = flow;
    expect(screen.frame().split('\n').find((l) => l.includes('FGHIJ'))).toContain('cancelled');
    await choose(/ABCDE/, 'What about ABCDE?');
    await choose(/Watch its state live/, 'The same from a script:');
    expect(screen.frame()).toContain('offsite export get-status ABCDE --watch --non-interactive');
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['export', 'get-status', 'ABCDE', '--watch', '--non-interactive'] });
    ui.unmount();
  });

  it('cancelling needs the job id typed back; a cancelled job cannot be cancelled again', async () => {
    const flow = start();
    await toJobs(flow);
    const { ui, screen, choose, type, finished } = flow;
    await choose(/FGHIJ/, 'What about FGHIJ?');
    expect(screen.frame().split('\n').find((l) => l.includes('Cancel it'))).toContain('(already cancelled)');
    screen.press(ESC);
    await screen.settled('Which job?');
    await choose(/ABCDE/, 'What about ABCDE?');
    await choose(/Cancel it/, 'Type its id to confirm');
    await type('ABCDX', /that is not ABCDE/);
    screen.press(BACKSPACE);
    await screen.input('ABCD');
    screen.press('E');
    await screen.input('ABCDE');
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['export', 'cancel-job', 'ABCDE', '--non-interactive'] });
    ui.unmount();
  });

  it('the shipping label asks for the job manifest and checks it', async () => {
    const flow = start();
    await toJobs(flow);
    const { ui, screen, choose, type, finished } = flow;
    await choose(/ABCDE/, 'What about ABCDE?');
    await choose(/Its shipping label/, 'The manifest of ABCDE?');
    const manifest = join(repoRoot, 'fixtures', 'manifests', 'export.yml');
    await type(manifest, 'The same from a script:');
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['export', 'get-shipping-label', manifest, 'ABCDE', '--non-interactive'] });
    ui.unmount();
  });

  it('Snowball jobs carry --service snowball; the list of all jobs is list-jobs', async () => {
    const flow = start();
    await toJobs(flow, /eu-west-1 *$/, /AWS Snowball/);
    const { ui, screen, choose, finished, asked } = flow;
    expect(asked).toEqual([{ region: 'eu-west-1' }]);
    await choose(/All jobs/, 'The same from a script:');
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['export', 'list-jobs', '--service', 'snowball', '--region', 'eu-west-1', '--non-interactive'] });
    ui.unmount();
  });
});

describe('verify: how much and how', () => {
  /** Mode → verify → account (default profile, its region) → against S3 → the image → the prefix → "How much?". */
  async function toSampling(flow: ReturnType<typeof start>): Promise<void> {
    const { screen, choose, type } = flow;
    await screen.settled('What do you want to do?');
    await choose(/Verify a backup/, 'Which AWS profile?');
    await choose(/The default credentials/, 'Which region?');
    await choose(/the profile's region/, 'Verify what?');
    await choose(/A directory, disk or disk image against S3/, 'Which directory, disk or image?');
    await type(join(work, 'plain-file'), 'Against which S3 prefix?');
    await type('my-backups/host1', 'How much to compare?');
  }

  it('a share, a seed, --download and --forks, each checked on its screen, all on the command line', async () => {
    const flow = start();
    await toSampling(flow);
    const { ui, screen, choose, type, finished } = flow;
    await choose(/A number or a share of the files/, 'How many files?');
    await type('0', /--sample: '0' is not a number of files/); // verify's own message
    screen.press(BACKSPACE);
    await screen.hides(/--sample: '0'/);
    await type('5%', 'A seed, to draw the same files again?');
    await type('nightly-42', 'Compare how?');
    await choose(/Also download each compared object/, 'How many at once?');
    await type('100', /--forks: '100' must be a whole number from 1 to 64/);
    for (const left of ['10', '1']) {
      screen.press(BACKSPACE);
      await screen.input(left);
    }
    screen.press('6');
    await screen.input('16');
    screen.press(ENTER);
    await screen.settled('The same check from a script:');
    expect(screen.frame().replace(/\s*\n\s*/g, ' ')).toContain(
      'compare a random 5% of the files (seed nightly-42) with the objects under s3://my-backups/host1, downloading each to compare its bytes, 16 at a time',
    );
    const argv = ['verify', join(work, 'plain-file'), '--bucket', 's3://my-backups/host1', '--sample', '5%', '--seed', 'nightly-42', '--download', '--forks', '16', '--non-interactive'];
    expect(shownCommand(screen.frame())).toBe(commandLine(argv));
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv });
    ui.unmount();
  });

  it('every file skips the seed; the defaults add no flag; Esc back keeps what was chosen', async () => {
    const flow = start();
    await toSampling(flow);
    const { ui, screen, choose, finished } = flow;
    await choose(/Every file/, 'Compare how?');
    await choose(/By the sizes and checksums S3 keeps/, 'How many at once?');
    screen.press(ENTER); // the default: no --forks
    await screen.settled('The same check from a script:');
    const argv = ['verify', join(work, 'plain-file'), '--bucket', 's3://my-backups/host1', '--all', '--non-interactive'];
    expect(shownCommand(screen.frame())).toBe(commandLine(argv));
    expect(screen.frame()).toContain('compare every file with the objects under s3://my-backups/host1 (size and checksums)');
    screen.press(ESC);
    await screen.settled('How many at once?');
    screen.press(ESC);
    await screen.settled(/Compare how\?[\s\S]*› By the sizes/);
    screen.press(ESC);
    await screen.settled(/How much to compare\?[\s\S]*› Every file/);
    await choose(/100 random files/, 'The same check from a script:');
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: ['verify', join(work, 'plain-file'), '--bucket', 's3://my-backups/host1', '--non-interactive'] });
    ui.unmount();
  });
});

describe('a new Snowball export job', () => {
  const snowballManifest = join(repoRoot, 'fixtures', 'manifests', 'snowball.yml');

  /** Mode → export → create → Snowball → account (default profile, eu-west-1) → the manifest screen. */
  async function toManifest(flow: ReturnType<typeof start>): Promise<void> {
    const { screen, choose } = flow;
    await screen.settled('What do you want to do?');
    await choose(/Ship a disk/, 'A new job or one you have?');
    await choose(/Create a job/, 'Which service?');
    await choose(/AWS Snowball: an appliance AWS ships to you/, 'Which AWS profile?');
    await choose(/The default credentials/, 'Which region?');
    await choose(/eu-west-1 *$/, 'Which manifest? (Snowball)');
  }

  it("checks the manifest against Snowball's rules, then the role; shows the address; the dry run comes first", async () => {
    const flow = start();
    await toManifest(flow);
    const { ui, screen, choose, type, finished } = flow;
    const classic = join(repoRoot, 'fixtures', 'manifests', 'export.yml');
    await type(classic, /export\.yml:16: operations\[0\]\.prefix: Snowball selects keys by/);
    for (let left = classic; left.length > 0; ) {
      left = left.slice(0, -1);
      screen.press(BACKSPACE);
      if (left) await screen.input(left);
    }
    await screen.hides(/export\.yml:\d+/);
    await type(snowballManifest, 'Which IAM role may AWS use to read the buckets?');
    expect(screen.frame()).toContain('arn:aws:iam::123456789012:role/snowball-export'); // the manifest's, kept by Enter
    await type('role/other', /--role-arn: is not an IAM role ARN/);
    for (let left = 'role/other'; left.length > 0; ) {
      left = left.slice(0, -1);
      screen.press(BACKSPACE);
      if (left) await screen.input(left);
    }
    await screen.hides(/--role-arn: is not/);
    await type('arn:aws:iam::123456789012:role/other', 'Which KMS key encrypts the job?');
    screen.press(ENTER); // the manifest's key
    await screen.settled('AWS ships the appliance to');
    expect(screen.frame()).toMatch(/Jane Roe[\s\S]*123 Any Street[\s\S]*02134 Anytown NY[\s\S]*US[\s\S]*\+1 212 555 0100/);
    expect(screen.frame()).toMatch(/› SECOND_DAY: second-day air, as the manifest says/);
    await choose(/NEXT_DAY/, 'Review');
    const common = ['export', 'create-job', snowballManifest, '--service', 'snowball', '--role-arn', 'arn:aws:iam::123456789012:role/other', '--shipping-option', 'NEXT_DAY'];
    const dryRun = [...common, '--dry-run', '--region', 'eu-west-1', '--non-interactive'];
    const create = [...common, '--region', 'eu-west-1', '--non-interactive'];
    const frame = screen.frame().replace(/\s*\n\s*/g, ' ');
    expect(frame).toContain(commandLine(dryRun));
    expect(frame).toContain(commandLine(create));
    expect(frame).toContain('an EXPORT of offsite-photos, offsite-docs');
    expect(screen.frame()).toMatch(/› Validate first/);
    screen.press(ENTER);
    expect(await finished()).toEqual({ argv: dryRun });
    ui.unmount();
  });

  it('a manifest without a role needs one typed; creating the job is the second choice', async () => {
    const noRole = join(work, 'no-role.yml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(noRole, (await readFile(snowballManifest, 'utf8')).replace(/^snowball:[\s\S]*$/m, ''));
    const flow = start();
    await toManifest(flow);
    const { ui, screen, choose, type, finished } = flow;
    await type(noRole, 'Which IAM role may AWS use to read the buckets?');
    screen.press(ENTER);
    await screen.shows("type the role's ARN: the manifest has no snowball.roleArn");
    await type('arn:aws:iam::123456789012:role/snowball-export', 'Which KMS key encrypts the job?');
    screen.press(ENTER); // none
    await screen.settled('AWS ships the appliance to');
    await choose(/SECOND_DAY: .*as the manifest says/, 'Review');
    screen.press(DOWN);
    await screen.shows(/› Create the job/);
    screen.press(ENTER);
    expect(await finished()).toEqual({
      argv: ['export', 'create-job', noRole, '--service', 'snowball', '--role-arn', 'arn:aws:iam::123456789012:role/snowball-export', '--region', 'eu-west-1', '--non-interactive'],
    });
    ui.unmount();
  });
});
