import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OffsiteEvent } from '../core/events.js';
import { Redaction, commandRedaction } from './redaction.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'offsite-redaction-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the redaction every command writes through', () => {
  it('masks a secret that contains another as one', () => {
    const redaction = new Redaction(['abcdefgh', 'abcdefgh-and-more']);
    expect(redaction.text('x abcdefgh-and-more y abcdefgh')).toBe('x ******** y ********');
  });

  it('ignores values of the environment too short to be keys (they would mask ordinary words), never those a plan marks', () => {
    expect(commandRedaction([], { AWS_SECRET_ACCESS_KEY: 'true', AWS_SESSION_TOKEN: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' }).text('true story')).toBe('true story');
    expect(commandRedaction(['4711'], { AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' }).text('PIN 4711')).toBe('PIN ********');
  });

  it('masks every string inside an event, and learns secrets as the run goes', () => {
    const redaction = new Redaction();
    const seen: OffsiteEvent[] = [];
    const sink = redaction.sink((event) => seen.push(event));
    redaction.add(['0123456789-unlock']);
    sink({ type: 'error', time: 't', message: 'the service said 0123456789-unlock', exitCode: 1 });
    expect(seen).toEqual([{ type: 'error', time: 't', message: 'the service said ********', exitCode: 1 }]);
  });

  it('takes the secrets of the environment and of every profile of the shared AWS files', async () => {
    const credentials = join(scratch, 'credentials');
    const config = join(scratch, 'config');
    await writeFile(credentials, '[default]\naws_access_key_id = AKIAEXAMPLEKEY00\naws_secret_access_key = secret-from-the-default-profile\n[other]\nAWS_SESSION_TOKEN = token-from-another-profile\n');
    await writeFile(config, '[profile x]\nregion = eu-west-1\naws_secret_access_key = secret-from-the-config-file\n');
    const env = {
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: config,
      AWS_SECRET_ACCESS_KEY: 'secret-from-the-environment',
      OFFSITE_TRUECRYPT_PASSWORD: 'container-password',
    };
    const text = commandRedaction(['a-plan-secret-value'], env).text(
      'secret-from-the-default-profile token-from-another-profile secret-from-the-config-file secret-from-the-environment container-password a-plan-secret-value eu-west-1',
    );
    expect(text).toBe('******** ******** ******** ******** ******** ******** eu-west-1');
  });

  it('an unreadable or broken credentials file hides nothing and breaks nothing', async () => {
    const broken = join(scratch, 'broken');
    await writeFile(broken, 'not an ini file at all\n');
    expect(commandRedaction([], { AWS_SHARED_CREDENTIALS_FILE: broken, AWS_CONFIG_FILE: join(scratch, 'absent') }).text('plain words')).toBe('plain words');
  });
});
