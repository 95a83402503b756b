import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { useRestoreFixture } from './ebs-fixture.js';

const run = promisify(execFile);
const { fx, backup, restore, resultOf, expectNoLeftovers } = useRestoreFixture('attributes', { tree: false });

/**
 * Sets (`set ROOT`) or reads (`get ROOT`) the extended attributes of ROOT/shared.txt and ROOT/team: an access ACL
 * naming uid 1234, a default ACL, and a user xattr. Python's os.*xattr because setfacl is not always installed;
 * ACLs travel as the kernel's binary posix_acl xattrs (version 2, then tag/perm/id entries sorted by tag).
 */
const XATTRS_SCRIPT = `
import json, os, struct, sys
mode, root = sys.argv[1], sys.argv[2]
def acl(*entries):
    return struct.pack('<I', 2) + b''.join(struct.pack('<HHI', tag, perm, uid) for tag, perm, uid in entries)
ANY = 0xffffffff
if mode == 'set':
    access = acl((0x01, 6, ANY), (0x02, 4, 1234), (0x04, 4, ANY), (0x10, 4, ANY), (0x20, 0, ANY))
    os.setxattr(os.path.join(root, 'shared.txt'), 'system.posix_acl_access', access)
    os.setxattr(os.path.join(root, 'shared.txt'), 'user.offsite.note', b'kept as it was')
    os.setxattr(os.path.join(root, 'team'), 'system.posix_acl_default', access)
found = {}
for name in ('shared.txt', 'team'):
    path = os.path.join(root, name)
    found[name] = {attr: os.getxattr(path, attr).hex() for attr in sorted(os.listxattr(path))}
    found[name]['mode'] = oct(os.stat(path).st_mode)
print(json.dumps(found))
`;

async function xattrs(mode: 'set' | 'get', root: string): Promise<Record<string, Record<string, string>>> {
  return JSON.parse((await run('python3', ['-c', XATTRS_SCRIPT, mode, root])).stdout) as Record<string, Record<string, string>>;
}

/** Logins the sandbox's sshd has accepted so far; a shared (multiplexed) session is not a new login. */
async function sshLogins(): Promise<number> {
  return (await readFile(fx.sandbox.sshd.logPath, 'utf8')).split('\n').filter((line) => line.includes('Accepted publickey')).length;
}

describe('offsite restore from an rsync volume that carries ACLs and extended attributes', () => {
  it('brings them back as the volume holds them; the copy and the checksum proof share one data connection', async () => {
    await writeFile(join(fx.source, 'shared.txt'), 'one file with an ACL\n');
    await mkdir(join(fx.source, 'team'));
    const volumeId = (await backup(['--method', 'rsync'])).volumeId as string;

    // Set on the volume itself, as another tool would have written them: the restore must not depend on our backup.
    const mnt = await mkdtemp(join(fx.work, 'volume-'));
    await run('mount', ['-o', 'loop', fx.sandbox.volumeFile(volumeId), mnt]);
    let expected: Record<string, Record<string, string>>;
    try {
      expected = await xattrs('set', mnt);
    } finally {
      await run('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
    }
    expect(Object.keys(expected['shared.txt']!)).toEqual(expect.arrayContaining(['system.posix_acl_access', 'user.offsite.note']));
    expect(Object.keys(expected.team!)).toContain('system.posix_acl_default');

    const target = join(fx.work, 'restored');
    const loginsBefore = await sshLogins();
    const run1 = await restore(['--volume', volumeId, target, '--json']);
    expect(run1.code, run1.stdout.slice(-3000)).toBe(0);
    expect(await xattrs('get', target)).toEqual(expected);
    // The control session (ssh2) and one OpenSSH connection that both rsync passes ride on.
    expect(await sshLogins()).toBe(loginsBefore + 2);
    await expectNoLeftovers();
  });
});

describe('ACLs and extended attributes through offsite\'s own backup and restore', () => {
  for (const method of ['rsync', 'dd'] as const) {
    it(`${method}: the backup carries them and the restore gives them back`, async () => {
      const source = join(fx.work, `attrs-${method}`);
      await mkdir(join(source, 'team'), { recursive: true });
      await writeFile(join(source, 'shared.txt'), `${method}: one file with an ACL\n`);
      const expected = await xattrs('set', source);
      expect(Object.keys(expected['shared.txt']!)).toEqual(expect.arrayContaining(['system.posix_acl_access', 'user.offsite.note']));
      const backedUp = await runCli('offsite', ['ebs', source, '--method', method, '--json'], { env: fx.env, timeoutMs: 600_000 });
      expect(backedUp.code, backedUp.stdout.slice(-2000)).toBe(0);
      const volumeId = resultOf(backedUp.stdout).volumeId as string;
      const target = join(fx.work, `restored-${method}`);
      const restored = await restore(['--volume', volumeId, target, '--json']);
      expect(restored.code, restored.stdout.slice(-3000)).toBe(0);
      expect(await xattrs('get', target)).toEqual(expected);
      await expectNoLeftovers();
    });
  }
});

