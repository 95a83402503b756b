import { checkTarget } from '../../../src/core/restore/target.js';
import { checkSourceDir, measureDir } from '../../../src/core/ebs/source-dir.js';
import { readManifest } from '../../../src/core/export/manifest.js';
import { readArchiveOutline } from '../../../src/core/archive/outline.js';
import { readSnowballOutline } from '../../../src/core/export/snowball-outline.js';
import { checkVerifySource } from '../../../src/core/verify/source-check.js';
import { completePath } from '../../../src/wizard/complete.js';
import { reason, wizardMessage, type AwsChoice, type WizardServices } from '../../../src/wizard/services.js';

/**
 * The wizard's services for screen tests: the real file system (completion, checks, measuring, manifests, profiles)
 * rooted at `cwd`; what would come from AWS is given by the test, and each AWS query records the account it was
 * asked with.
 */
export function testServices(cwd: string, aws: Partial<WizardServices> = {}, asked: AwsChoice[] = []): WizardServices {
  return {
    listVolumes: async (choice) => (asked.push(choice ?? {}), []),
    measure: (dir) => measureDir(dir),
    complete: (partial, options) => completePath(partial, cwd, options),
    checkDir: (dir) => reason(checkSourceDir(dir)),
    checkManifest: (path) => reason(readManifest(path)),
    listDevices: async () => [
      { path: '/dev/vda', model: 'system', sizeBytes: 2 ** 37, serial: 'S1', unusableReason: 'on the system disk vda' },
      { path: '/dev/sdb', model: 'USB disk', sizeBytes: 2 ** 40, serial: 'WD123' },
    ],
    checkRestoreTarget: (dir) => reason(checkTarget(dir, false)),
    checkVerifySource: (path) => reason(checkVerifySource(path)),
    outlineArchive: (path) => readArchiveOutline(path).catch((e: unknown) => ({ problem: wizardMessage(e) })),
    outlineSnowball: (path) => readSnowballOutline(path).catch((e: unknown) => ({ problem: wizardMessage(e) })),
    awsSettings: async () => ({ profiles: [{ name: 'backup', region: 'eu-west-1' }, { name: 'work' }], regions: ['us-east-1', 'eu-west-1', 'eu-central-1'] }),
    ...aws,
  };
}
