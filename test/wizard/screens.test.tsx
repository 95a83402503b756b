import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine, ebsArgv, s3Argv } from '../../src/wizard/answers.js';
import { S3DestinationScreen } from '../../src/wizard/screens/s3-destination.js';
import { S3ReviewScreen } from '../../src/wizard/screens/s3-review.js';
import { DirectoryScreen } from '../../src/wizard/screens/directory.js';
import { ModeScreen, type WizardMode } from '../../src/wizard/screens/mode.js';
import { ReviewScreen } from '../../src/wizard/screens/review.js';
import { VolumeScreen, type VolumeAnswer } from '../../src/wizard/screens/volume.js';
import { completePath, type WizardServices } from '../../src/wizard/services.js';
import { measureDir, checkSourceDir } from '../../src/core/ebs/source-dir.js';
import { readManifest } from '../../src/core/export/manifest.js';
import { ExportDeviceScreen } from '../../src/wizard/screens/export-device.js';
import { ExportManifestScreen } from '../../src/wizard/screens/export-manifest.js';
import { ExportReviewScreen } from '../../src/wizard/screens/export-review.js';
import { repoRoot } from '../helpers/cli.js';

/** A manifest with a known problem, to show the error with its line number. */
const BAD_MANIFEST = 'bad-address.yml';
const DOWN = '\u001B[B';
const UP = '\u001B[A';
const ENTER = '\r';
const ESC = '\u001B';

/** Lets Ink process input and re-render. */
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-wizard-'));
  await mkdir(join(work, 'photos 2026', 'raw'), { recursive: true });
  await mkdir(join(work, 'photographs'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Real file-system services, with a volume list given by the test. */
function services(volumes: Awaited<ReturnType<WizardServices['listVolumes']>> = []): WizardServices {
  return {
    listVolumes: async () => volumes,
    measure: (dir) => measureDir(dir),
    complete: (partial, options) => completePath(partial, work, options),
    checkDir: async (dir) => checkSourceDir(dir).then(() => undefined, (e: Error) => e.message),
    checkManifest: async (path) => readManifest(path).then(() => undefined, (e: Error) => e.message),
    listDevices: async () => [
      { path: '/dev/vda', model: 'system', sizeBytes: 2 ** 37, serial: 'S1', unusableReason: 'on the system disk vda' },
      { path: '/dev/sdb', model: 'USB disk', sizeBytes: 2 ** 40, serial: 'WD123' },
    ],
  };
}

describe('mode screen', () => {
  it('moves with the arrow keys and chooses with Enter', async () => {
    const chosen: WizardMode[] = [];
    const ui = render(<ModeScreen onSelect={(m) => chosen.push(m)} />);
    expect(ui.lastFrame()).toMatch(/› Back up a directory to an EBS volume — dd/);
    ui.stdin.write(DOWN);
    await tick();
    expect(ui.lastFrame()).toMatch(/› Back up a directory to an EBS volume — rsync/);
    ui.stdin.write(ENTER);
    await tick();
    expect(chosen).toEqual([{ kind: 'ebs', method: 'rsync' }]);
    ui.stdin.write(UP + ENTER); // a burst of keys is honoured in order
    await tick();
    expect(chosen.at(-1)).toEqual({ kind: 'ebs', method: 'dd' });
    ui.unmount();
  });
});

describe('cleanup from the wizard', () => {
  it('the mode list offers to see what earlier runs left behind', async () => {
    const chosen: WizardMode[] = [];
    const ui = render(<ModeScreen onSelect={(m) => chosen.push(m)} />);
    for (let i = 0; i < 4; i++) {
      ui.stdin.write(DOWN);
      await tick();
    }
    expect(ui.lastFrame()).toMatch(/› See what earlier runs left behind/);
    ui.stdin.write(ENTER);
    await tick();
    expect(chosen).toEqual([{ kind: 'cleanup' }]);
    ui.unmount();
  });
});

describe('directory screen', () => {
  it('completes paths with Tab, rejects a missing directory, then measures the chosen one', async () => {
    let done: { dir: string; files: number } | undefined;
    const ui = render(<DirectoryScreen services={services()} initial={`${work}/pho`} onBack={() => undefined} onDone={(dir, m) => (done = { dir, files: m.files })} />);
    ui.stdin.write('\t');
    await tick(80);
    expect(ui.lastFrame()).toContain(`${work}/photo`); // common prefix of "photos 2026" and "photographs"
    ui.stdin.write('s');
    await tick();
    ui.stdin.write('\t');
    await tick(80);
    expect(ui.lastFrame()).toContain(`${work}/photos 2026/`);
    ui.stdin.write('nope');
    await tick();
    ui.stdin.write(ENTER);
    await tick(80);
    expect(ui.lastFrame()).toMatch(/nope: no such directory/);
    expect(done).toBeUndefined();
    for (let i = 0; i < 4; i++) {
      ui.stdin.write('\u007F');
      await tick(10);
    }
    ui.stdin.write(ENTER);
    await tick(150);
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
    await tick(50);
    const frame = ui.lastFrame()!;
    expect(frame).toMatch(/› A new 4 GiB gp3 volume/);
    const lineOf = (id: string) => frame.split('\n').find((l) => l.includes(id)) ?? '';
    expect(lineOf('vol-0aaaaaaaaaaaaaaaa')).toContain('(in use)');
    expect(lineOf('vol-0bbbbbbbbbbbbbbbb')).toContain('(too small: needs 4 GiB)');
    expect(lineOf('vol-0cccccccccccccccc')).not.toContain('(');
    ui.stdin.write(DOWN); // skips the two dimmed volumes
    await tick();
    ui.stdin.write(ENTER);
    await tick();
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
    expect(ui.lastFrame()).toContain("offsite ebs '/srv/my data' --method rsync --size 3 --non-interactive");
    expect(ui.lastFrame()).toMatch(/create a new 3 GiB gp3 volume/);
    ui.stdin.write(ENTER);
    await tick();
    expect(confirmed).toEqual([ebsArgv(answers)]);
    ui.unmount();
  });

  it('overwriting a volume with dd needs its id typed back; --yes is then in the command', async () => {
    const confirmed: string[][] = [];
    const answers = { method: 'dd' as const, dir: '/srv/data', volumeId: 'vol-0cccccccccccccccc' };
    const ui = render(<ReviewScreen answers={answers} dirBytes={1000} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />);
    expect(ui.lastFrame()).toMatch(/OVERWRITING everything on it/);
    expect(ui.lastFrame()).toContain(commandLine(['ebs', '/srv/data', '--method', 'dd', '--volume', 'vol-0cccccccccccccccc', '--yes', '--non-interactive']));
    ui.stdin.write(ENTER);
    await tick();
    expect(confirmed).toEqual([]);
    ui.stdin.write('vol-0wrong');
    await tick();
    ui.stdin.write(ENTER);
    await tick();
    expect(ui.lastFrame()).toMatch(/that is not vol-0cccccccccccccccc/);
    expect(confirmed).toEqual([]);
    for (let i = 0; i < 10; i++) {
      ui.stdin.write('\u007F');
      await tick(10);
    }
    ui.stdin.write('vol-0cccccccccccccccc');
    await tick();
    ui.stdin.write(ENTER);
    await tick();
    expect(confirmed).toHaveLength(1);
    ui.unmount();
  });

  it('Esc goes back', async () => {
    let back = 0;
    const ui = render(<ReviewScreen answers={{ method: 'dd', dir: '/x', sizeGiB: 1 }} dirBytes={1} onBack={() => back++} onConfirm={() => undefined} />);
    ui.stdin.write(ESC);
    await tick(80);
    expect(back).toBe(1);
    ui.unmount();
  });
});

describe('S3 screens', () => {
  it('the mode list offers S3 storing', async () => {
    const chosen: WizardMode[] = [];
    const ui = render(<ModeScreen onSelect={(m) => chosen.push(m)} />);
    ui.stdin.write(DOWN);
    await tick();
    ui.stdin.write(DOWN);
    await tick();
    ui.stdin.write(ENTER);
    await tick();
    expect(chosen).toEqual([{ kind: 's3' }]);
    ui.unmount();
  });

  it('rejects a malformed S3 URL and accepts a good one', async () => {
    const done: string[] = [];
    const ui = render(<S3DestinationScreen onBack={() => undefined} onDone={(d) => done.push(d)} />);
    ui.stdin.write('Bad_Bucket');
    await tick();
    ui.stdin.write(ENTER);
    await tick();
    expect(ui.lastFrame()).toMatch(/bucket/i);
    expect(done).toEqual([]);
    for (let i = 0; i < 10; i++) {
      ui.stdin.write('\u007F');
      await tick(10);
    }
    ui.stdin.write('my-backups/host1');
    await tick();
    ui.stdin.write(ENTER);
    await tick();
    expect(done).toEqual(['s3://my-backups/host1']);
    ui.unmount();
  });

  it('the review shows the exact command line', async () => {
    const confirmed: string[][] = [];
    const ui = render(
      <S3ReviewScreen answers={{ dir: '/srv/data', destination: 's3://my-backups/host1' }} dirBytes={5000} files={3} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />,
    );
    expect(ui.lastFrame()).toContain('offsite s3 /srv/data s3://my-backups/host1 --non-interactive');
    ui.stdin.write(ENTER);
    await tick();
    expect(confirmed).toEqual([s3Argv({ dir: '/srv/data', destination: 's3://my-backups/host1' })]);
    ui.unmount();
  });
});

describe('export screens', () => {
  it('validates the manifest on the spot, with the line number of the problem', async () => {
    const done: string[] = [];
    const ui = render(<ExportManifestScreen services={services()} onBack={() => undefined} onDone={(p) => done.push(p)} />);
    const bad = join(repoRoot, 'fixtures', 'manifests', 'bad', BAD_MANIFEST);
    ui.stdin.write(bad);
    await tick();
    ui.stdin.write(ENTER);
    await tick(150);
    expect(ui.lastFrame()).toMatch(/:\d+: /);
    expect(done).toEqual([]);
    for (let i = 0; i < bad.length; i++) {
      ui.stdin.write('\u007F');
      await tick(2);
    }
    const good = join(repoRoot, 'fixtures', 'manifests', 'export.yml');
    ui.stdin.write(good);
    await tick();
    ui.stdin.write(ENTER);
    await tick(150);
    expect(done).toEqual([good]);
    ui.unmount();
  });

  it('lists disks with the system disk flagged and not selectable; dry-run comes first', async () => {
    const chosen: (string | undefined)[] = [];
    const ui = render(<ExportDeviceScreen services={services()} onBack={() => undefined} onDone={(d) => chosen.push(d)} />);
    await tick(50);
    const frame = ui.lastFrame()!;
    expect(frame.split('\n').find((l) => l.includes('/dev/vda'))).toContain('(on the system disk vda)');
    ui.stdin.write(ENTER);
    await tick();
    expect(chosen).toEqual([undefined]);
    ui.stdin.write(DOWN); // skips /dev/vda
    await tick();
    ui.stdin.write(ENTER);
    await tick();
    expect(chosen).toEqual([undefined, '/dev/sdb']);
    ui.unmount();
  });

  it('formatting a device needs its name typed back', async () => {
    const confirmed: string[][] = [];
    const ui = render(<ExportReviewScreen answers={{ manifest: '/m.yml', device: '/dev/sdb' }} onBack={() => undefined} onConfirm={(a) => confirmed.push(a)} />);
    expect(ui.lastFrame()).toContain('offsite export create-job /m.yml /dev/sdb --yes --non-interactive');
    ui.stdin.write(ENTER);
    await tick();
    expect(confirmed).toEqual([]);
    ui.stdin.write('/dev/sdb');
    await tick();
    ui.stdin.write(ENTER);
    await tick();
    expect(confirmed).toHaveLength(1);
    ui.unmount();
  });
});
