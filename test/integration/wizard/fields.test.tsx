import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WizardApp, type WizardOutcome } from '../../../src/wizard/app.js';
import { DirectoryScreen } from '../../../src/wizard/screens/directory.js';
import { S3DestinationScreen } from '../../../src/wizard/screens/s3-destination.js';
import { VolumeScreen } from '../../../src/wizard/screens/volume.js';
import { asS3Url } from '../../../src/wizard/s3-input.js';
import { completePath } from '../../../src/wizard/complete.js';
import { testServices } from './doubles.js';
import { drive, KEY } from './drive.js';

const { down: DOWN, enter: ENTER, esc: ESC, tab: TAB, backspace: BACKSPACE } = KEY;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-wizard-fields-'));
  await mkdir(join(work, 'photos 2026', 'raw'), { recursive: true });
  await mkdir(join(work, 'photographs'));
  await mkdir(join(work, 'photobooth'));
  await writeFile(join(work, 'photos 2026', 'a.txt'), 'a');
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('the S3 field', () => {
  it('starts empty and takes a full URL without doubling the scheme', async () => {
    const done: string[] = [];
    const ui = render(<S3DestinationScreen onBack={() => undefined} onDone={(d) => done.push(d)} />);
    const screen = drive(ui);
    await screen.settled('Where in S3?');
    expect(screen.frame()).toMatch(/^› s3:\/\/bucket\/prefix/m); // the placeholder, not a value
    screen.press('s3://my-backups/host1');
    await screen.input('s3://my-backups/host1');
    screen.press(ENTER);
    await screen.until(() => done.length > 0, 'the destination to be accepted');
    expect(done).toEqual(['s3://my-backups/host1']);
    ui.unmount();
  });

  it('reads a bare bucket/prefix and a full URL alike', () => {
    expect(asS3Url('my-backups/host1')).toBe('s3://my-backups/host1');
    expect(asS3Url(' s3://my-backups/host1 ')).toBe('s3://my-backups/host1');
    expect(asS3Url('S3://my-backups')).toBe('s3://my-backups');
    expect(asS3Url('/my-backups/x')).toBe('s3://my-backups/x');
  });

  it('refuses a bucket the account cannot reach, with the reason, on the same screen', async () => {
    const done: string[] = [];
    const asked: string[] = [];
    const services = testServices(work, { checkBucket: async (url) => (asked.push(url), url.startsWith('s3://missing') ? 's3://missing: no such bucket' : undefined) });
    const ui = render(<S3DestinationScreen services={services} aws={{ region: 'eu-west-1' }} onBack={() => undefined} onDone={(d) => done.push(d)} />);
    const screen = drive(ui);
    await screen.settled('Where in S3?');
    screen.press('missing/x');
    await screen.input('missing/x');
    screen.press(ENTER);
    await screen.shows('s3://missing: no such bucket');
    expect(done).toEqual([]);
    expect(asked).toEqual(['s3://missing/x']);
    ui.unmount();
  });
});

describe('a burst of keys', () => {
  it('held Backspace and pasted text arriving together are applied key by key', async () => {
    const ui = render(<S3DestinationScreen onBack={() => undefined} onDone={() => undefined} />);
    const screen = drive(ui);
    await screen.settled('Where in S3?');
    screen.press('not-a-bucket/x');
    await screen.input('not-a-bucket/x');
    screen.press(`${BACKSPACE.repeat(14)}my-backups/host1`);
    await screen.input('my-backups/host1');
    ui.unmount();
  });
});

describe('volume names', () => {
  const long = 'nightly backup of the photo library on host1';
  it('are shown whole; only the terminal width cuts them, with an ellipsis', async () => {
    const huge = `archive ${'x'.repeat(200)}`;
    const volumes = [
      { id: 'vol-0aaaaaaaaaaaaaaaa', name: long, sizeGiB: 50, zone: 'us-east-1a', state: 'available' },
      { id: 'vol-0bbbbbbbbbbbbbbbb', name: huge, sizeGiB: 50, zone: 'us-east-1a', state: 'available' },
    ];
    const ui = render(<VolumeScreen services={testServices(work, { listVolumes: async () => volumes })} neededGiB={1} onBack={() => undefined} onDone={() => undefined} />);
    const screen = drive(ui);
    await screen.shows('vol-0bbbbbbbbbbbbbbbb');
    const lines = screen.frame().split('\n');
    expect(lines.find((l) => l.includes('vol-0aaaaaaaaaaaaaaaa'))).toContain(long);
    const cut = lines.find((l) => l.includes('vol-0bbbbbbbbbbbbbbbb'))!;
    expect(cut.trimEnd()).toMatch(/…$/);
    expect(cut.length).toBeLessThanOrEqual(100); // ink-testing-library's terminal is 100 columns
    ui.unmount();
  });
});

describe('double Tab', () => {
  it('a second Tab with several matches lists them under the field, like a shell', async () => {
    const ui = render(<DirectoryScreen services={testServices(work)} initial={`${work}/pho`} onBack={() => undefined} onDone={() => undefined} />);
    const screen = drive(ui);
    await screen.settled('Which directory?');
    screen.press(TAB);
    await screen.input(`${work}/photo`);
    expect(screen.frame()).not.toContain('photobooth/');
    screen.press(TAB);
    await screen.shows('photobooth/  photographs/  photos 2026/');
    // Typing on clears the listing; a single match completes at once.
    screen.press('g');
    await screen.input(`${work}/photog`);
    await screen.hides('photobooth/');
    screen.press(TAB);
    await screen.input(`${work}/photographs/`);
    ui.unmount();
  });

  it('on an empty field, Tab works on the names of the current directory', async () => {
    expect(await completePath('', work)).toEqual({ value: 'photo', matches: ['photobooth/', 'photographs/', 'photos 2026/'] });
  });
});

describe('Esc', () => {
  it('goes back one screen and keeps what was typed there, and on the screen left', async () => {
    let outcome: WizardOutcome | undefined;
    const ui = render(<WizardApp services={testServices(work)} onDone={(o) => (outcome = o)} />);
    const screen = drive(ui);
    await screen.settled('What do you want to do?');
    screen.press(DOWN + DOWN); // S3
    await screen.shows(/› Store a directory in S3/);
    screen.press(ENTER);
    await screen.settled('Which AWS profile?');
    screen.press(ENTER);
    await screen.settled('Which region?');
    screen.press(ENTER);
    await screen.settled('Which directory?');
    const dir = join(work, 'photos 2026');
    screen.press(dir);
    await screen.input(dir);
    screen.press(ENTER);
    await screen.settled('Where in S3?');
    screen.press('my-backups/photos');
    await screen.input('my-backups/photos');
    screen.press(ESC);
    await screen.settled('Which directory?');
    await screen.input(dir); // what was typed is still there
    screen.press(ENTER);
    await screen.settled('Where in S3?');
    await screen.input('my-backups/photos'); // and so is what was typed on the screen left
    screen.press(ESC);
    await screen.settled('Which directory?');
    screen.press(ESC);
    await screen.settled('Which region?'); // one screen at a time, the cursor where it was
    screen.press(ESC);
    await screen.settled('Which AWS profile?');
    screen.press(ESC);
    await screen.settled(/› Store a directory in S3/);
    expect(outcome).toBeUndefined();
    ui.unmount();
  });
});
