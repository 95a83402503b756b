import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { userInfo, hostname } from 'node:os';
import { UsageError } from '../../errors.js';
import { defaultTimeouts, type EbsBackupPlan, type InstanceOverrides, type BackupMethod } from '../../core/ebs/plan.js';
import { parseInstanceFlags } from './instance-flags.js';
import { absoluteDir } from '../../core/ebs/validate.js';
import { checkSourceDir } from '../../core/ebs/source-dir.js';
import { parseSshFlags } from '../../ssh/flags.js';
import type { TransportChoice } from '../../ssh/bulk-transport.js';
import type { LifecycleSettings } from '../../core/instance/lifecycle.js';
import type { SshOptions } from '../../ssh/types.js';

export interface EbsPlanInput {
  dir: string;
  method: BackupMethod;
  volumeId?: string;
  volumeSizeGiB?: number;
  /** Long-flag overrides applied on top of EC2_BACKUP_FLAGS_AWS / EC2_BACKUP_FLAGS_SSH. */
  instance?: InstanceOverrides;
  ssh?: Partial<SshOptions>;
  sshFlags?: string;
  awsFlags?: string;
  selfDestructMinutes?: number;
  bandwidthLimit?: number;
  transport?: string;
  snapshot?: boolean;
}

/** Builds the typed plan from parsed arguments and the environment; local checks only, no network. */
export async function buildEbsPlan(input: EbsPlanInput, env: NodeJS.ProcessEnv = process.env): Promise<EbsBackupPlan> {
  const dir = absoluteDir(input.dir);
  await checkSourceDir(dir);
  return {
    dir,
    method: input.method,
    ...(input.volumeId ? { volumeId: input.volumeId } : {}),
    ...(input.volumeSizeGiB ? { volumeSizeGiB: input.volumeSizeGiB } : {}),
    ...(await buildInstanceSettings(input, env)),
    ...(input.bandwidthLimit ? { bandwidthLimit: input.bandwidthLimit } : {}),
    ...(input.snapshot ? { snapshot: true } : {}),
  };
}

export type InstanceSettingsInput = Pick<EbsPlanInput, 'instance' | 'ssh' | 'sshFlags' | 'awsFlags' | 'selfDestructMinutes' | 'transport'>;

/** The long flags of the temporary instance as commander parsed them (`offsite ebs` and `offsite restore`). */
export interface InstanceFlagsInput {
  awsFlags?: string;
  sshFlags?: string;
  instanceType?: string;
  imageId?: string;
  keyName?: string;
  subnetId?: string;
  securityGroupIds?: string[];
  availabilityZone?: string;
  sshUser?: string;
  identity?: string;
  selfDestruct?: number;
  transport?: string;
}

/** The temporary instance and how to reach it, from the long flags `offsite ebs` and `offsite restore` share. */
export function instanceSettingsInput(flags: InstanceFlagsInput): InstanceSettingsInput {
  return {
    ...(flags.awsFlags ? { awsFlags: flags.awsFlags } : {}),
    ...(flags.sshFlags ? { sshFlags: flags.sshFlags } : {}),
    instance: {
      instanceType: flags.instanceType,
      imageId: flags.imageId,
      keyName: flags.keyName,
      subnetId: flags.subnetId,
      securityGroupIds: flags.securityGroupIds,
      availabilityZone: flags.availabilityZone,
    },
    ssh: { user: flags.sshUser, identityFiles: flags.identity ? [flags.identity] : [] },
    ...(flags.selfDestruct ? { selfDestructMinutes: flags.selfDestruct } : {}),
    ...(flags.transport ? { transport: flags.transport } : {}),
  };
}

/**
 * The temporary instance and how to reach it (EC2_BACKUP_FLAGS_AWS / EC2_BACKUP_FLAGS_SSH, then long flags), for
 * every command that runs one: backup, restore.
 */
export async function buildInstanceSettings(input: InstanceSettingsInput, env: NodeJS.ProcessEnv = process.env): Promise<LifecycleSettings> {
  const fromEnv = parseInstanceFlags(env.EC2_BACKUP_FLAGS_AWS, 'EC2_BACKUP_FLAGS_AWS');
  const fromFlag = input.awsFlags ? parseInstanceFlags(input.awsFlags, '--aws-flags') : {};
  const instance = { ...fromEnv, ...fromFlag, ...definedOnly(input.instance ?? {}) };
  const sshEnv = parseSshFlags(env.EC2_BACKUP_FLAGS_SSH ?? '', 'EC2_BACKUP_FLAGS_SSH');
  const sshFlag = input.sshFlags ? parseSshFlags(input.sshFlags, '--ssh-flags') : undefined;
  const ssh = mergeSsh(mergeSsh(sshEnv, sshFlag), input.ssh);
  await checkIdentityFiles(ssh.identityFiles);
  return {
    instance,
    ssh,
    selfDestructMinutes: input.selfDestructMinutes ?? 180,
    transport: parseTransport(input.transport ?? env.OFFSITE_SSH_TRANSPORT, input.transport ? '--transport' : 'OFFSITE_SSH_TRANSPORT'),
    timeouts: { ...defaultTimeouts },
    createdBy: `${safeUser()}@${hostname()}`,
  };
}

function parseTransport(value: string | undefined, source: string): TransportChoice {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'openssh' || value === 'ssh2') return value;
  throw new UsageError(`${source}: unknown transport '${value}' (use auto, openssh or ssh2)`);
}

/** An explicitly named key that cannot be read is a usage error now, not a failure after launching an instance. */
async function checkIdentityFiles(files: string[]): Promise<void> {
  for (const file of files) {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new UsageError(`identity file ${file} is not a file`);
      await access(file, constants.R_OK);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read identity file ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code}`);
    }
  }
}

function mergeSsh(base: SshOptions, extra: Partial<SshOptions> | undefined): SshOptions {
  if (!extra) return base;
  const defined = definedOnly(extra);
  return {
    ...base,
    ...defined,
    identityFiles: [...(extra.identityFiles ?? []), ...base.identityFiles],
    userKnownHostsFiles: extra.userKnownHostsFiles?.length ? extra.userKnownHostsFiles : base.userKnownHostsFiles,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
