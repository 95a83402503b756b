import { UsageError } from '../../errors.js';
import { splitWords } from '../../util/words.js';
import type { InstanceOverrides } from '../../core/ebs/plan.js';

/**
 * Parses run-instances flags spelled as the AWS CLI spells them (EC2_BACKUP_FLAGS_AWS).
 * Only flags that make sense for a backup instance are accepted; anything else is named in a usage error,
 * because silently dropping a flag the operator relied on (a subnet, a key) would be worse.
 */
export function parseInstanceFlags(text: string | undefined, source = 'EC2_BACKUP_FLAGS_AWS'): InstanceOverrides {
  const result: InstanceOverrides = {};
  if (!text?.trim()) return result;
  const words = splitWords(text, source);
  for (let i = 0; i < words.length; i++) {
    const raw = words[i]!;
    if (!raw.startsWith('--')) throw new UsageError(`${source}: unexpected argument '${raw}' (flags look like --instance-type t3.micro)`);
    const eq = raw.indexOf('=');
    const flag = eq >= 0 ? raw.slice(0, eq) : raw;
    const inline = eq >= 0 ? raw.slice(eq + 1) : undefined;
    const single = (): string => {
      if (inline !== undefined) {
        if (inline === '') throw new UsageError(`${source}: ${flag} needs a value`);
        return inline;
      }
      const next = words[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${source}: ${flag} needs a value`);
      i++;
      return next;
    };
    const list = (): string[] => {
      if (inline !== undefined) return inline.split(/[\s,]+/).filter(Boolean);
      const values: string[] = [];
      while (words[i + 1] !== undefined && !words[i + 1]!.startsWith('--')) values.push(words[++i]!);
      if (values.length === 0) throw new UsageError(`${source}: ${flag} needs at least one value`);
      return values;
    };
    switch (flag) {
      case '--image-id':
        result.imageId = checked(single(), /^ami-[0-9a-f]{8,17}$/, source, flag, 'an AMI id like ami-0abc1234');
        break;
      case '--instance-type':
        result.instanceType = checked(single(), /^[a-z0-9-]+\.[a-z0-9]+$/, source, flag, 'an instance type like t3.micro');
        break;
      case '--key-name':
        result.keyName = single();
        break;
      case '--security-groups':
        result.securityGroups = list();
        break;
      case '--security-group-ids':
        result.securityGroupIds = list().map((id) => checked(id, /^sg-[0-9a-f]{8,17}$/, source, flag, 'ids like sg-0abc1234'));
        break;
      case '--subnet-id':
        result.subnetId = checked(single(), /^subnet-[0-9a-f]{8,17}$/, source, flag, 'a subnet id like subnet-0abc1234');
        break;
      case '--iam-instance-profile':
        result.iamInstanceProfile = parseInstanceProfile(single(), source);
        break;
      case '--placement':
        result.availabilityZone = parsePlacement(single(), source);
        break;
      case '--ebs-optimized':
        result.ebsOptimized = true;
        break;
      case '--no-ebs-optimized':
        result.ebsOptimized = false;
        break;
      default:
        throw new UsageError(`${source}: unknown or unsupported flag ${flag}`);
    }
  }
  return result;
}

function checked(value: string, pattern: RegExp, source: string, flag: string, expected: string): string {
  if (!pattern.test(value)) throw new UsageError(`${source}: ${flag} '${value}' is not ${expected}`);
  return value;
}

/** Accepts `Name=x`, `Arn=arn:…`, the JSON form, or a bare name. */
function parseInstanceProfile(value: string, source: string): { name?: string; arn?: string } {
  const fields = parseStructure(value, source, '--iam-instance-profile');
  if (!fields) return value.startsWith('arn:') ? { arn: value } : { name: value };
  const name = fields.Name;
  const arn = fields.Arn;
  if (!name && !arn) throw new UsageError(`${source}: --iam-instance-profile needs Name=… or Arn=…`);
  return { ...(name ? { name } : {}), ...(arn ? { arn } : {}) };
}

/** Only the Availability Zone is meaningful to us; other placement keys would be silently lost, so refuse them. */
function parsePlacement(value: string, source: string): string {
  const fields = parseStructure(value, source, '--placement');
  if (!fields) throw new UsageError(`${source}: --placement must look like AvailabilityZone=us-east-1a`);
  for (const key of Object.keys(fields)) {
    if (key !== 'AvailabilityZone') throw new UsageError(`${source}: --placement ${key} is not supported (only AvailabilityZone)`);
  }
  const az = fields.AvailabilityZone;
  if (!az || !/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(az)) throw new UsageError(`${source}: --placement AvailabilityZone '${az ?? ''}' is not a zone name`);
  return az;
}

/** AWS CLI shorthand (`Key=Value,Key=Value`) or JSON; undefined when the value is neither. */
function parseStructure(value: string, source: string, flag: string): Record<string, string> | undefined {
  if (value.trim().startsWith('{')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
      }
    } catch {
      // fall through to the error below
    }
    throw new UsageError(`${source}: ${flag} has malformed JSON`);
  }
  if (!value.includes('=')) return undefined;
  const fields: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`${source}: ${flag} '${value}' is not Key=Value[,Key=Value]`);
    fields[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return fields;
}
