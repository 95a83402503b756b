import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTarget } from '../../../src/core/restore/target.js';
import { WizardApp, type WizardOutcome } from '../../../src/wizard/app.js';
import { completePath, reason, type WizardServices } from '../../../src/wizard/services.js';
import { pollUntil } from '../../../src/util/poll.js';

const DOWN = '\u001B[B';
const ENTER = '\r';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-restore-wizard-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

function services(): WizardServices {
  return {
    listVolumes: async () => [],
    measure: async () => ({ bytes: 0, tarBytesEstimate: 0, files: 0, directories: 0, unreadable: [], unmeasured: 0 }),
    complete: (partial) => completePath(partial, work),
    checkDir: async () => undefined,
    checkManifest: async () => undefined,
    listDevices: async () => [],
    listBackups: async () => [
      { kind: 'volume', id: 'vol-0123456789abcdef0', source: 'host:/srv', method: 'dd', time: '2026-11-30T10:00:00Z', sizeGiB: 2, state: 'complete', restorable: true, detail: 'us-east-1a, available' },
      { kind: 'snapshot', id: 'snap-0123456789abcdef0', source: 'host:/srv', method: 'rsync', time: '2026-11-29T10:00:00Z', sizeGiB: 2, state: 'in-progress', restorable: false, detail: 'of vol-1, completed' },
    ],
    checkRestoreTarget: (dir) => reason(checkTarget(dir, false)),
  };
}

/** Waits until the frame shows `pattern` (Ink renders asynchronously). */
async function until(ui: ReturnType<typeof render>, pattern: RegExp): Promise<string> {
  return pollUntil(async () => (pattern.test(ui.lastFrame() ?? '') ? ui.lastFrame()! : undefined), { timeoutMs: 5_000, minDelayMs: 10, maxDelayMs: 50, what: `the screen to show ${pattern}` });
}

/** Presses `key` until the frame shows `pattern`: a screen hears keys only once it has subscribed, just after it draws. */
async function pressUntil(ui: ReturnType<typeof render>, key: string, pattern: RegExp): Promise<string> {
  return pollUntil(async () => (pattern.test(ui.lastFrame() ?? '') ? ui.lastFrame()! : void ui.stdin.write(key)), { timeoutMs: 5_000, minDelayMs: 60, maxDelayMs: 120, what: `the screen to show ${pattern}` });
}

describe('the wizard offers Restore', () => {
  it('mode → a backup from the list → target → review with the exact command line → run', async () => {
    let outcome: WizardOutcome | undefined;
    const ui = render(<WizardApp services={services()} onDone={(o) => (outcome = o)} />);
    await until(ui, /Restore a backup/);
    await pressUntil(ui, DOWN, /› Restore a backup/);
    const list = await pressUntil(ui, ENTER, /Which backup\?[\s\S]*vol-0123456789abcdef0/);
    // A backup whose tags do not vouch for it is shown, dimmed, with the reason.
    expect(list).toMatch(/snap-0123456789abcdef0.*needs --force/);
    await pressUntil(ui, ENTER, /Restore into which directory\?/);
    const target = join(work, 'restored here');
    ui.stdin.write(target);
    await until(ui, /restored here/);
    ui.stdin.write(ENTER);
    const review = await until(ui, /The same restore from a script/);
    expect(review.replace(/\n\s*/g, ' ')).toContain(`offsite restore --volume vol-0123456789abcdef0 '${target}' --non-interactive`);
    // The screen subscribes to keys just after it first draws: press Enter until it has been heard.
    await pollUntil(async () => outcome ?? void ui.stdin.write(ENTER), { timeoutMs: 5_000, minDelayMs: 20, maxDelayMs: 100, what: 'the wizard to finish' });
    expect(outcome).toEqual({ argv: ['restore', '--volume', 'vol-0123456789abcdef0', target, '--non-interactive'] });
    ui.unmount();
  });

  it('refuses a target that is not empty, in red, and stays on the screen', async () => {
    const ui = render(<WizardApp services={services()} onDone={() => undefined} />);
    await until(ui, /Restore a backup/);
    await pressUntil(ui, DOWN, /› Restore a backup/);
    await pressUntil(ui, ENTER, /vol-0123456789abcdef0/);
    await pressUntil(ui, ENTER, /Restore into which directory\?/);
    ui.stdin.write(tmpdir());
    await until(ui, new RegExp(tmpdir().replace(/\//g, '\\/')));
    ui.stdin.write(ENTER);
    const refused = await until(ui, /is not empty: restore into an empty or new directory/);
    // The command line's advice (add --overwrite) is not the wizard's: it names no flag.
    expect(refused).not.toMatch(/--overwrite|\badd --/);
    ui.unmount();
  });
});
