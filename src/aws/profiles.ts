import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseIni } from '../util/ini.js';

/** A named profile of the shared AWS files; only its name and region are read, never a key. */
export interface AwsProfile {
  name: string;
  region?: string;
}

/** Commercial regions (2026) a picker offers; a region missing here is still typed with --region. */
export const AWS_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'ca-west-1', 'mx-central-1', 'sa-east-1',
  'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'eu-south-1', 'eu-south-2',
  'af-south-1', 'il-central-1', 'me-central-1', 'me-south-1',
  'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
] as const;

/** Each section of an INI file with its `region`, if any; no other value is kept (the credentials file holds keys). */
async function sections(file: string): Promise<Map<string, string | undefined>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const found = new Map<string, string | undefined>();
  try {
    for (const [name, section] of parseIni(text, file).sections) found.set(name, section.keys.get('region')?.value);
  } catch {
    // A file the SDK cannot read either offers no profiles; the commands then say why.
  }
  return found;
}

/**
 * The profiles of AWS_CONFIG_FILE (~/.aws/config: `[default]`, `[profile NAME]`) and AWS_SHARED_CREDENTIALS_FILE
 * (~/.aws/credentials: `[NAME]`), by name, with the region the config gives each.
 */
export async function listAwsProfiles(env: NodeJS.ProcessEnv = process.env): Promise<AwsProfile[]> {
  const home = homedir();
  const [config, credentials] = await Promise.all([
    sections(env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config')),
    sections(env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials')),
  ]);
  const regions = new Map<string, string | undefined>();
  for (const [section, region] of config) {
    const name = section === 'default' ? 'default' : /^profile\s+(.+)$/.exec(section)?.[1]?.trim();
    if (name) regions.set(name, region);
  }
  for (const name of credentials.keys()) if (!regions.has(name)) regions.set(name, undefined);
  return [...regions].map(([name, region]) => ({ name, ...(region ? { region } : {}) })).sort((a, b) => a.name.localeCompare(b.name));
}
