import { readFile } from 'node:fs/promises';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UsageError } from '../../errors.js';
import { parseCedarByteQuantity } from './byte-quantity.js';
import type { SizeLimit } from './plan.js';
import { parseCedarBucket, type S3Location } from './url.js';

/** The parts of a Cedar Backup 3 configuration (cback3.conf) that the amazons3 action uses. */
export interface CedarConfig {
  warnMidnight: boolean;
  target: S3Location;
  /** `<encrypt>`: the command template, if any. */
  encrypt?: string;
  fullSizeLimit?: SizeLimit;
  incrementalSizeLimit?: SizeLimit;
  startingDay?: string;
  workingDir?: string;
  backupUser?: string;
  backupGroup?: string;
  stagingRoot: string;
}

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

type Section = Record<string, unknown>;

function section(parent: Section | undefined, name: string): Section | undefined {
  const value = parent?.[name];
  if (Array.isArray(value)) return value[0] as Section;
  return value && typeof value === 'object' ? (value as Section) : value === '' ? {} : undefined;
}

/** A text field; an element that is present but empty is '' (Cedar treats that as unset). */
function text(parent: Section | undefined, name: string): string | undefined {
  const value = Array.isArray(parent?.[name]) ? (parent?.[name] as unknown[])[0] : parent?.[name];
  if (value === undefined || value === null || typeof value === 'object') return undefined;
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

function yesNo(value: string | undefined, source: string): boolean {
  if (value === undefined) return false;
  if (/^(y|yes|true)$/i.test(value)) return true;
  if (/^(n|no|false)$/i.test(value)) return false;
  throw new UsageError(`${source}: '${value}' is not Y or N`);
}

/** <options> fields Cedar's Config._validateOptions requires, with the words of its messages. */
const REQUIRED_OPTIONS = [
  ['starting_day', 'starting day'],
  ['working_dir', 'working directory'],
  ['backup_user', 'backup user'],
  ['backup_group', 'backup group'],
  ['rcp_command', 'remote copy command'],
] as const;

function limit(value: string | undefined, source: string, name: string): SizeLimit | undefined {
  return value === undefined ? undefined : { bytes: parseCedarByteQuantity(value, source), text: value, name };
}

/** Reads and checks the configuration; every problem is one line naming the file and the element (exit 2). */
export async function readCedarConfig(path: string): Promise<CedarConfig> {
  let xml: string;
  try {
    xml = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}${code === 'ENOENT' ? ': no such file' : code === 'EACCES' ? ': permission denied' : code === 'EISDIR' ? ': is a directory' : ''}`, { input: 'cedarConfig' });
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new UsageError(`${path}: not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const document = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, processEntities: true }).parse(xml) as Section;
  const root = section(document, 'cb_config');
  if (!root) throw new UsageError(`${path}: not a Cedar Backup configuration (no <cb_config> element)`);
  const amazons3 = section(root, 'amazons3');
  if (!amazons3) throw new UsageError(`${path}: AmazonS3 section is required.`);
  const bucket = text(amazons3, 's3_bucket');
  if (!bucket) throw new UsageError(`${path}: AmazonS3 s3Bucket must be set.`);
  const options = section(root, 'options');
  const stage = section(root, 'stage');
  const stagingRoot = text(stage, 'staging_dir');
  if (!options || !stage || !stagingRoot) {
    const missing = !options ? '<options>' : !stage ? '<stage>' : '<stage><staging_dir>';
    throw new UsageError(`${path}: Cedar Backup configuration is not properly filled in (${missing} is missing).`);
  }
  if (amazons3.encrypt !== undefined && !text(amazons3, 'encrypt')) throw new UsageError(`${path}: <amazons3><encrypt> is empty; remove it or give a command`);
  const startingDay = text(options, 'starting_day')?.toLowerCase();
  if (startingDay && !(WEEKDAYS as readonly string[]).includes(startingDay)) {
    throw new UsageError(`${path}: <options><starting_day> '${startingDay}' is not a day of the week`);
  }
  const source = (name: string) => `${path}: <amazons3><${name}>`;
  const encrypt = text(amazons3, 'encrypt');
  const full = limit(text(amazons3, 'full_size_limit'), source('full_size_limit'), 'full_size_limit');
  const incremental = limit(text(amazons3, 'incr_size_limit'), source('incr_size_limit'), 'incr_size_limit');
  const optional = (name: string) => text(options, name);
  // Cedar validates the whole file before any action runs: without these it refuses, in these words.
  for (const [name, what] of REQUIRED_OPTIONS) {
    if (!optional(name)) throw new UsageError(`${path}: Options section ${what} must be filled in.`);
  }
  return {
    warnMidnight: yesNo(text(amazons3, 'warn_midnite'), source('warn_midnite')),
    target: parseCedarBucket(bucket, source('s3_bucket'), { asCedar: true }),
    ...(encrypt ? { encrypt } : {}),
    ...(full ? { fullSizeLimit: full } : {}),
    ...(incremental ? { incrementalSizeLimit: incremental } : {}),
    ...(startingDay ? { startingDay } : {}),
    ...(optional('working_dir') ? { workingDir: optional('working_dir') } : {}),
    ...(optional('backup_user') ? { backupUser: optional('backup_user') } : {}),
    ...(optional('backup_group') ? { backupGroup: optional('backup_group') } : {}),
    stagingRoot,
  };
}
