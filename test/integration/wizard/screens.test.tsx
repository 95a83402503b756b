import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine, ebsArgv, s3Argv } from '../../../src/wizard/answers.js';
import { S3DestinationScreen } from '../../../src/wizard/screens/s3-destination.js';
import { S3ReviewScreen } from '../../../src/wizard/screens/s3-review.js';
import { DirectoryScreen } from '../../../src/wizard/screens/directory.js';
import { ModeScreen, type WizardMode } from '../../../src/wizard/screens/mode.js';
import { ReviewScreen } from '../../../src/wizard/screens/review.js';
import { VolumeScreen, type VolumeAnswer } from '../../../src/wizard/screens/volume.js';
import type { WizardServices } from '../../../src/wizard/services.js';
import { testServices } from './doubles.js';
import { ExportDeviceScreen } from '../../../src/wizard/screens/export-device.js';
import { ExportManifestScreen } from '../../../src/wizard/screens/export-manifest.js';
import { ExportReviewScreen } from '../../../src/wizard/screens/export-review.js';
import { SnowballManifestScreen, SnowballReviewScreen, SnowballShippingScreen } from '../../../src/wizard/screens/snowball.js';
import type { SnowballOutline } from '../../../src/core/export/snowball-outline.js';
import { repoRoot } from '../../helpers/cli.js';
import { drive, KEY } from './drive.js';

/** A manifest with a known problem, to show the error with its line number. */
const BAD_MANIFEST = 'bad-address.yml';
const { down: DOWN, up: UP, enter: ENTER, esc: ESC, backspace: BACKSPACE } = KEY;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-wizard-'));
  await mkdir(join(work, 'photos 2026', 'raw'), { recursive: true });
  await mkdir(join(work, 'photographs'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Real file-system services, with a volume list given by the test. */
const services = (volumes: Awaited<ReturnType<WizardServices['listVolumes']>> = []): WizardServices => testServices(work, { listVolumes: async () => volumes });

describe('mode screen', () => {
  it('moves with the arrow keys and chooses with Enter', async () => {
    const chosen: WizardMode[] = [];
    const ui = render(<ModeScreen onSelect={(m) => chosen.push(m)} />);
    const screen = drive(ui);
    await screen.ready();
    expect(screen.frame()).toMatch(/› Back up a directory to an EBS volume — dd/);
    screen.press(DOWN);
    await screen.shows(/› Back up a directory to an EBS volume — rsync/);
    screen.press(ENTER);
    await screen.until(() => chosen.length === 1, 'a choice');
    expect(chosen).toEqual([{ kind: 'ebs', method: 'rsync' }]);
    screen.press(UP + ENTER); // a burst of keys is honoured in order
    await screen.until(() => chosen.length === 2, 'a second choice');
    expect(chosen.at(-1)).toEqual({ kind: 'ebs', method: 'dd' });
    ui.unmount();
  });
});

/** Deletes `count` characters one key at a time, each seen on the screen before the next. */
async function erase(screen: ReturnType<typeof drive>, value: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    screen.press(BACKSPACE);
    const left = value.slice(0, value.length - i);
    // An emptied input shows its placeholder instead: wait for the last character to go.
    if (left) await screen.input(left);
    else await screen.until(() => !screen.frame().split('\n').some((line) => line.trimEnd() === `› ${value.slice(0, 1)}`), 'the input to empty');
  }
}
describe('cleanup from the wizard', () => {
  it('the mode list offers to see what earlier runs left behind', async () => {
    const chosen: WizardMode[] = [];
    const ui = render(<ModeScreen onSelect={(m) => chosen.push(m)} />);
    const screen = drive(ui);
    await screen.ready();
    while (!/› See what earlier runs left behind/.test(screen.frame())) {
      const before = screen.frame();
      screen.press(DOWN);
      await screen.until(() => screen.frame() !== before, 'the selection to move');
    }
    screen.press(ENTER);
    await screen.until(() => chosen.length > 0, 'a choice');
    expect(chosen).toEqual([{ kind: 'cleanup' }]);
    ui.unmount();
  });
});

describe('directory screen', () => {
  it('completes paths with Tab, rejects a missing directory, then measures the chosen one', async () => {
    let done: { dir: string; files: number } | undefined;
    const ui = render(<DirectoryScreen services={services()} initial={`${work}/pho`} onBack={() => undefined} onDone={(dir, m) => (done = { dir, files: m.files })} />);
    const screen = drive(ui);
    await screen.ready();
    screen.press('\t');
    await screen.input(`${work}/photo`); // common prefix of "photos 2026" and "photographs"
    screen.press('s');
    await screen.input(`${work}/photos`);
    screen.press('\t');
    await screen.input(`${work}/photos 2026/`);
    screen.press('nope');
    await screen.input(`${work}/photos 2026/nope`);
    screen.press(ENTER);
    await screen.shows(/nope: no such directory/);
    expect(done).toBeUndefined();
    await erase(screen, `${work}/photos 2026/nope`, 4);
    screen.press(ENTER);
    await screen.until(() => done, 'the directory to be measured and accepted');
    expect(done?.dir).toBe(join(work, 'photos 2026'));
    ui.unmount();
  });
});

describe('volume screen', () => {
  const volumes = [
    { id: 'vol-0aaaaaaaaaaaaaaaa', name: 'busy', sizeGiB: 100, zone: 'us-east-1a', state: 'in-use' },
    { id: 'vol-0bbbbbbbbbbbbbbbb', name: 'tiny', sizeGiB: 1, zone: 'us-east-1b', state: 'available' },
    { id: 'vol-0cccccccccccccccc', name: 'good', sizeGiB: 50, zone: 'us-east-1c', state: 'available' },
  ];

  it('offers a new volume first, dims unusable ones with the reason, and skips them', async () => {
    const answers: VolumeAnswer[] = [];
    const ui = render(<VolumeScreen services={services(volumes)} neededGiB={4} onBack={() => undefined} onDone={(a) => answers.push(a)} />);
    const screen = drive(ui);
    await screen.shows('vol-0cccccccccccccccc');
    await screen.ready();
    const frame = screen.frame();
    expect(frame).toMatch(/› A new 4 GiB gp3 volume/);
    const lineOf = (id: string) => frame.split('\n').find((l) => l.includes(id)) ?? '';
    expect(lineOf('vol-0aaaaaaaaaaaaaaaa')).toContain('(in use)');
    expect(lineOf('vol-0bbbbbbbbbbbbbbbb')).toContain('(too small: needs 4 GiB)');
    expect(lineOf('vol-0cccccccccccccccc')).not.toContain('(');
    screen.press(DOWN); // skips the two dimmed volumes
    await screen.shows(/› .*vol-0cccccccccccccccc/);
    screen.press(ENTER);
    await screen.until(() => answers.length > 0, 'a chosen volume');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ kind: 'existing', volume: { id: 'vol-0cccccccccccccccc' } });
    ui.unmount();
  });
});

describe('review screen', () => {
  it('shows the exact non-interactive command and starts on Enter', async () => {
    const confirmed: string[][] = [];
    const answers = { method: 'rsync' as const, dir: '/srv/my data', sizeGiB: 3 };
    const ui = render(<ReviewScreen answers={answers} dirBytes={1000} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />);
    const screen = drive(ui);
    expect(screen.frame()).toContain("offsite ebs '/srv/my data' --method rsync --size 3 --non-interactive");
    expect(screen.frame()).toMatch(/create a new 3 GiB gp3 volume/);
    await screen.ready();
    screen.press(ENTER);
    await screen.until(() => confirmed.length > 0, 'the confirmation');
    expect(confirmed).toEqual([ebsArgv(answers)]);
    ui.unmount();
  });

  it('overwriting a volume with dd needs its id typed back; --yes is then in the command', async () => {
    const confirmed: string[][] = [];
    const answers = { method: 'dd' as const, dir: '/srv/data', volumeId: 'vol-0cccccccccccccccc' };
    const ui = render(<ReviewScreen answers={answers} dirBytes={1000} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />);
    const screen = drive(ui);
    expect(screen.frame()).toMatch(/OVERWRITING everything on it/);
    expect(screen.frame()).toContain(commandLine(['ebs', '/srv/data', '--method', 'dd', '--volume', 'vol-0cccccccccccccccc', '--yes', '--non-interactive']));
    await screen.ready();
    const before = screen.frame();
    screen.press(ENTER);
    await screen.until(() => screen.frame() !== before, 'an answer to Enter on an empty confirmation');
    expect(confirmed).toEqual([]);
    screen.press('vol-0wrong');
    await screen.input('vol-0wrong');
    screen.press(ENTER);
    await screen.shows(/that is not vol-0cccccccccccccccc/);
    expect(confirmed).toEqual([]);
    await erase(screen, 'vol-0wrong', 10);
    screen.press('vol-0cccccccccccccccc');
    await screen.input('vol-0cccccccccccccccc');
    screen.press(ENTER);
    await screen.until(() => confirmed.length > 0, 'the confirmation');
    expect(confirmed).toHaveLength(1);
    ui.unmount();
  });

  it('Esc goes back', async () => {
    let back = 0;
    const ui = render(<ReviewScreen answers={{ method: 'dd', dir: '/x', sizeGiB: 1 }} dirBytes={1} onBack={() => back++} onConfirm={() => undefined} />);
    const screen = drive(ui);
    await screen.ready();
    screen.press(ESC);
    await screen.until(() => back > 0, 'Esc to go back');
    expect(back).toBe(1);
    ui.unmount();
  });
});

describe('S3 screens', () => {
  it('the mode list offers S3 storing', async () => {
    const chosen: WizardMode[] = [];
    const ui = render(<ModeScreen onSelect={(m) => chosen.push(m)} />);
    const screen = drive(ui);
    await screen.ready();
    screen.press(DOWN);
    await screen.shows(/› Back up a directory to an EBS volume — rsync/);
    screen.press(DOWN);
    await screen.shows(/› .*S3/);
    screen.press(ENTER);
    await screen.until(() => chosen.length > 0, 'a choice');
    expect(chosen).toEqual([{ kind: 's3' }]);
    ui.unmount();
  });

  it('rejects a malformed S3 URL and accepts a good one', async () => {
    const done: string[] = [];
    const ui = render(<S3DestinationScreen onBack={() => undefined} onDone={(d) => done.push(d)} />);
    const screen = drive(ui);
    await screen.ready();
    const start = screen.frame();
    screen.press('Bad_Bucket');
    await screen.shows('Bad_Bucket');
    screen.press(ENTER);
    const error = await screen.until(() => screen.frame().split('\n').find((line) => !start.includes(line) && !line.startsWith('›')), 'an error under the input');
    expect(error).toMatch(/bucket/i);
    expect(done).toEqual([]);
    const typed = screen.frame().split('\n').find((l) => l.includes('Bad_Bucket'))!.replace(/^›\s*/, '').trimEnd();
    await erase(screen, typed, 10);
    screen.press('my-backups/host1');
    await screen.shows('my-backups/host1');
    screen.press(ENTER);
    await screen.until(() => done.length > 0, 'the destination to be accepted');
    expect(done).toEqual(['s3://my-backups/host1']);
    ui.unmount();
  });

  it('the review shows the exact command line', async () => {
    const confirmed: string[][] = [];
    const ui = render(
      <S3ReviewScreen answers={{ dir: '/srv/data', destination: 's3://my-backups/host1' }} dirBytes={5000} files={3} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />,
    );
    const screen = drive(ui);
    expect(screen.frame()).toContain('offsite s3 /srv/data s3://my-backups/host1 --non-interactive');
    await screen.ready();
    screen.press(ENTER);
    await screen.until(() => confirmed.length > 0, 'the confirmation');
    expect(confirmed).toEqual([s3Argv({ dir: '/srv/data', destination: 's3://my-backups/host1' })]);
    ui.unmount();
  });
});

describe('export screens', () => {
  it('validates the manifest on the spot, with the line number of the problem', async () => {
    const done: string[] = [];
    const ui = render(<ExportManifestScreen services={services()} onBack={() => undefined} onDone={(p) => done.push(p)} />);
    const screen = drive(ui);
    await screen.ready();
    const bad = join(repoRoot, 'fixtures', 'manifests', 'bad', BAD_MANIFEST);
    screen.press(bad);
    await screen.input(bad);
    screen.press(ENTER);
    await screen.shows(/:\d+: /);
    expect(done).toEqual([]);
    await erase(screen, bad, bad.length);
    const good = join(repoRoot, 'fixtures', 'manifests', 'export.yml');
    screen.press(good);
    await screen.input(good);
    screen.press(ENTER);
    await screen.until(() => done.length > 0, 'the manifest to be accepted');
    expect(done).toEqual([good]);
    ui.unmount();
  });

  it('lists disks with the system disk flagged and not selectable; dry-run comes first', async () => {
    const chosen: (string | undefined)[] = [];
    const ui = render(<ExportDeviceScreen services={services()} onBack={() => undefined} onDone={(d) => chosen.push(d)} />);
    const screen = drive(ui);
    await screen.shows('/dev/sdb');
    await screen.ready();
    expect(screen.frame().split('\n').find((l) => l.includes('/dev/vda'))).toContain('(on the system disk vda)');
    screen.press(ENTER);
    await screen.until(() => chosen.length === 1, 'the dry-run choice');
    expect(chosen).toEqual([undefined]);
    screen.press(DOWN); // skips /dev/vda
    await screen.shows(/› .*\/dev\/sdb/);
    screen.press(ENTER);
    await screen.until(() => chosen.length === 2, 'the disk choice');
    expect(chosen).toEqual([undefined, '/dev/sdb']);
    ui.unmount();
  });

  it('formatting a device needs its name typed back', async () => {
    const confirmed: string[][] = [];
    const ui = render(<ExportReviewScreen answers={{ manifest: '/m.yml', device: '/dev/sdb' }} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />);
    const screen = drive(ui);
    expect(screen.frame()).toContain('offsite export create-job /m.yml /dev/sdb --yes --non-interactive');
    await screen.ready();
    const before = screen.frame();
    screen.press(ENTER);
    await screen.until(() => screen.frame() !== before, 'an answer to Enter on an empty confirmation');
    expect(confirmed).toEqual([]);
    screen.press('/dev/sdb');
    await screen.input('/dev/sdb');
    screen.press(ENTER);
    await screen.until(() => confirmed.length > 0, 'the confirmation');
    expect(confirmed).toHaveLength(1);
    ui.unmount();
  });
});

describe('Snowball screens', () => {
  const manifestOf = (name: string) => join(repoRoot, 'fixtures', 'manifests', name);

  it("reads the manifest against Snowball's rules on the spot and hands on what it read", async () => {
    const done: { manifest: string; outline: SnowballOutline }[] = [];
    const ui = render(<SnowballManifestScreen services={services()} onBack={() => undefined} onDone={(d) => done.push(d)} />);
    const screen = drive(ui);
    await screen.ready();
    const classic = manifestOf('export.yml');
    screen.press(classic);
    await screen.input(classic);
    screen.press(ENTER);
    await screen.shows(/export\.yml:16: operations\[0\]\.prefix:/);
    expect(done).toEqual([]);
    await erase(screen, classic, 'export.yml'.length);
    screen.press('snowball.yml');
    await screen.input(manifestOf('snowball.yml'));
    screen.press(ENTER);
    await screen.until(() => done.length > 0, 'the manifest to be accepted');
    expect(done[0]).toMatchObject({
      manifest: manifestOf('snowball.yml'),
      outline: { roleArn: 'arn:aws:iam::123456789012:role/snowball-export', shippingOption: 'SECOND_DAY', buckets: ['offsite-photos', 'offsite-docs'], warnings: [] },
    });
    ui.unmount();
  });

  const outline: SnowballOutline = {
    shippingOption: 'STANDARD',
    address: { name: 'Jane Roe', company: 'Example Ltd', street1: '1 Quay', city: 'Cork', postalCode: 'T12', country: 'IE', phoneNumber: '+353 21 000 0000' },
    buckets: ['offsite-photos'],
    warnings: ['/m.yml:9: pinCode is ignored: Snowball encrypts with your KMS key instead'],
  };

  it('shows the return address; the manifest\'s speed comes first and adds no flag', async () => {
    const chosen: (string | undefined)[] = [];
    const ui = render(<SnowballShippingScreen outline={outline} onBack={() => undefined} onDone={(o) => chosen.push(o)} />);
    const screen = drive(ui);
    await screen.ready();
    expect(screen.frame()).toMatch(/Jane Roe\n\s+Example Ltd\n\s+1 Quay\n\s+T12 Cork\n\s+IE\n\s+\+353 21 000 0000/);
    expect(screen.frame()).toMatch(/› STANDARD: standard shipping, as the manifest says\n\s+no flag/);
    screen.press(ENTER);
    await screen.until(() => chosen.length === 1, 'the default speed');
    screen.press(DOWN);
    await screen.shows(/› SECOND_DAY/);
    screen.press(ENTER);
    await screen.until(() => chosen.length === 2, 'a speed of its own');
    expect(chosen).toEqual([undefined, 'SECOND_DAY']);
    ui.unmount();
  });

  it('the review shows the warnings and both command lines; the dry run is first', async () => {
    const confirmed: string[][] = [];
    const draft = { answers: { manifest: '/m.yml', roleArn: 'arn:aws:iam::123456789012:role/r' }, outline };
    const ui = render(<SnowballReviewScreen draft={draft} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />);
    const screen = drive(ui);
    await screen.ready();
    expect(screen.frame()).toContain('pinCode is ignored');
    expect(screen.frame()).toContain('AWS reads the buckets as arn:aws:iam::123456789012:role/r and ships an appliance (STANDARD)');
    const joined = screen.frame().replace(/\s*\n\s*/g, ' '); // long command lines wrap at the terminal's width
    expect(joined).toContain('offsite export create-job /m.yml --service snowball --role-arn arn:aws:iam::123456789012:role/r --dry-run --non-interactive');
    expect(joined).toContain('offsite export create-job /m.yml --service snowball --role-arn arn:aws:iam::123456789012:role/r --non-interactive');
    expect(screen.frame()).toMatch(/› Validate first/);
    screen.press(ENTER);
    await screen.until(() => confirmed.length === 1, 'the dry run');
    expect(confirmed[0]).toContain('--dry-run');
    ui.unmount();
  });
});
