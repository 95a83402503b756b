import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useRestoreFixture } from './ebs-fixture.js';

const { fx, backup, restore, resultOf, expectSameTree, expectNoLeftovers } = useRestoreFixture('rsync');

describe('offsite restore from an rsync volume', () => {
  let volumeId: string;

  it('round-trips every kind of entry through the read-only mount and proves it by checksum', async () => {
    volumeId = (await backup(['--method', 'rsync'])).volumeId as string;
    const target = join(fx.work, 'rsync-restored');
    const run = await restore(['--volume', volumeId, target, '--json']);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(resultOf(run.stdout)).toMatchObject({ method: 'rsync', source: volumeId });
    await expectSameTree(target);
    await expectNoLeftovers();
  });

  it('refuses a volume whose tags say the backup is not complete, unless --force', async () => {
    await fx.sandbox.ec2().send(new CreateTagsCommand({ Resources: [volumeId], Tags: [{ Key: 'offsite:state', Value: 'in-progress' }] }));
    const target = join(fx.work, 'incomplete');
    const refused = await restore(['--volume', volumeId, target]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/offsite:state is in-progress.*--force/);
    expect(existsSync(target)).toBe(false);
    const forced = await restore(['--volume', volumeId, target, '--force', '-q']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*in-progress/);
    await expectSameTree(target);
    await expectNoLeftovers();
  });
});

