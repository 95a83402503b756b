import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { mergeSshOptions, parseSshFlags } from './flags.js';
import { splitShellWords } from '../util/words.js';

const home = { homeDir: '/home/op' };
const parse = (text: string) => parseSshFlags(text, 'EC2_BACKUP_FLAGS_SSH', home);

function usageMessage(text: string, envName?: string): string {
  try {
    parseSshFlags(text, envName, home);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error(`expected '${text}' to be refused`);
}

describe('splitShellWords', () => {
  it('splits on blanks and honours quotes and backslashes like sh', () => {
    expect(splitShellWords(`  -i   a\tb\n c `)).toEqual(['-i', 'a', 'b', 'c']);
    expect(splitShellWords(`'a b' "c d" e\\ f`)).toEqual(['a b', 'c d', 'e f']);
    expect(splitShellWords(`x'y'"z"`)).toEqual(['xyz']);
    expect(splitShellWords(`'' ""`)).toEqual(['', '']);
    expect(splitShellWords(`"a \\"q\\" \\\\ \\$ \\x"`)).toEqual(['a "q" \\ $ \\x']);
    expect(splitShellWords(`'it'\\''s'`)).toEqual(["it's"]);
    expect(splitShellWords('a\\\nb')).toEqual(['ab']);
  });

  it('expands nothing', () => {
    expect(splitShellWords('$HOME `id` $(id) * ~user')).toEqual(['$HOME', '`id`', '$(id)', '*', '~user']);
  });

  it('refuses unterminated quotes', () => {
    expect(() => splitShellWords(`'abc`)).toThrow(/unterminated single quote/);
    expect(() => splitShellWords(`"abc`)).toThrow(/unterminated double quote/);
    expect(() => splitShellWords(`abc\\`)).toThrow(/trailing backslash/);
  });
});

describe('parseSshFlags', () => {
  it('reads -i, -p and -l, separate and attached', () => {
    expect(parse('-i /k/one -p 2222 -l ubuntu')).toEqual({
      identityFiles: ['/k/one'],
      userKnownHostsFiles: [],
      port: 2222,
      user: 'ubuntu',
    });
    expect(parse('-i/k/two -p2200 -lroot')).toMatchObject({ identityFiles: ['/k/two'], port: 2200, user: 'root' });
  });

  it('reads -o in all its spellings, keys in any case', () => {
    const options = parse(
      `-o HostName=127.0.0.1 -o "Port 2022" -oUser=ec2-user -o 'IdentityFile = "~/.ssh/a key"' -o userknownhostsfile=/k/kh ` +
        `-o STRICTHOSTKEYCHECKING=accept-new -o ConnectTimeout=7`,
    );
    expect(options).toEqual({
      hostName: '127.0.0.1',
      port: 2022,
      user: 'ec2-user',
      identityFiles: ['/home/op/.ssh/a key'],
      userKnownHostsFiles: ['/k/kh'],
      strictHostKeyChecking: 'accept-new',
      connectTimeoutSeconds: 7,
    });
  });

  it('expands a leading ~ in file options and keeps several identity files in order', () => {
    const options = parse(`-i ~/.ssh/id_a -i '~/b' -o IdentityFile=~ -o "UserKnownHostsFile=~/kh1 '/x y/kh2'"`);
    expect(options.identityFiles).toEqual(['/home/op/.ssh/id_a', '/home/op/b', '/home/op']);
    expect(options.userKnownHostsFiles).toEqual(['/home/op/kh1', '/x y/kh2']);
  });

  it('maps StrictHostKeyChecking values the way ssh does', () => {
    expect(parse('-o StrictHostKeyChecking=off').strictHostKeyChecking).toBe('no');
    expect(parse('-o StrictHostKeyChecking=no').strictHostKeyChecking).toBe('no');
    expect(parse('-o StrictHostKeyChecking=Yes').strictHostKeyChecking).toBe('yes');
    expect(parse('-o StrictHostKeyChecking=ask').strictHostKeyChecking).toBe('ask');
    expect(parse('').strictHostKeyChecking).toBeUndefined();
  });

  it('reads ConnectTimeout in ssh time format; 0 means not set', () => {
    expect(parse('-o ConnectTimeout=1m30s').connectTimeoutSeconds).toBe(90);
    expect(parse('-o ConnectTimeout=0').connectTimeoutSeconds).toBeUndefined();
  });

  it('accepts and ignores harmless flags, bundled too', () => {
    const options = parse(
      '-4 -6 -q -v -vvv -C -T -t -A -a -x -qT -o ServerAliveInterval=30 -o PasswordAuthentication=no ' +
        '-o BatchMode=yes -o LogLevel=ERROR -o IdentitiesOnly=yes',
    );
    expect(options).toEqual({ identityFiles: [], userKnownHostsFiles: [] });
    expect(parse('-qi /k/key').identityFiles).toEqual(['/k/key']);
  });

  it('refuses what it does not understand, naming the variable and the option', () => {
    expect(usageMessage('-x -Z')).toBe('EC2_BACKUP_FLAGS_SSH: unknown option -Z');
    expect(usageMessage('-J bastion')).toBe('EC2_BACKUP_FLAGS_SSH: unsupported option -J');
    expect(usageMessage('-o ProxyCommand=nc')).toBe('EC2_BACKUP_FLAGS_SSH: unsupported option -o ProxyCommand');
    expect(usageMessage('-i')).toBe('EC2_BACKUP_FLAGS_SSH: missing argument for -i');
    expect(usageMessage('-p 70000')).toBe("EC2_BACKUP_FLAGS_SSH: bad port '70000' for -p");
    expect(usageMessage('-p ssh')).toBe("EC2_BACKUP_FLAGS_SSH: bad port 'ssh' for -p");
    expect(usageMessage('-o Port=0')).toBe("EC2_BACKUP_FLAGS_SSH: bad port '0' for -o Port");
    expect(usageMessage('-o Port')).toBe('EC2_BACKUP_FLAGS_SSH: missing value for -o Port');
    expect(usageMessage('-o StrictHostKeyChecking=maybe')).toMatch(/^EC2_BACKUP_FLAGS_SSH: bad value 'maybe'/);
    expect(usageMessage('-o ConnectTimeout=soon')).toBe("EC2_BACKUP_FLAGS_SSH: bad time value 'soon' for -o ConnectTimeout");
    expect(usageMessage('root@host')).toMatch(/^EC2_BACKUP_FLAGS_SSH: unexpected argument 'root@host'/);
    expect(usageMessage(`-i 'unterminated`)).toBe('EC2_BACKUP_FLAGS_SSH: unterminated single quote');
    expect(usageMessage('-Z', 'OFFSITE_SSH')).toBe('OFFSITE_SSH: unknown option -Z');
  });

  it('gives one-line messages', () => {
    expect(usageMessage('-o "User=a\nb"')).toBe("EC2_BACKUP_FLAGS_SSH: -o User takes one value, got 'a b'");
  });
});

describe('mergeSshOptions', () => {
  it('lets the override win single values and tries its identities first', () => {
    const base = parse('-p 22 -l ec2-user -i /k/base -o UserKnownHostsFile=/k/base_kh -o ConnectTimeout=5');
    const override = parse('-p 2222 -i /k/over -o StrictHostKeyChecking=no');
    const merged = mergeSshOptions(base, override);
    expect(merged).toEqual({
      port: 2222,
      user: 'ec2-user',
      identityFiles: ['/k/over', '/k/base'],
      userKnownHostsFiles: ['/k/base_kh'],
      strictHostKeyChecking: 'no',
      connectTimeoutSeconds: 5,
    });
    expect(mergeSshOptions(base, parse('-o UserKnownHostsFile=/k/o')).userKnownHostsFiles).toEqual(['/k/o']);
    // Neither input is changed.
    expect(base.identityFiles).toEqual(['/k/base']);
    expect(override.identityFiles).toEqual(['/k/over']);
  });
});
