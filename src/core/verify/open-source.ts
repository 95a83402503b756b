import { mkdtemp, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResourceStack } from '../archive/resources.js';
import { OffsiteError, UsageError, type Advice } from '../../errors.js';
import type { Emit } from '../phases.js';
import { backupHeaderMisplaced, kernelDisk, parseSgdiskTable, probe, readOnlyOptions } from './disk-layout.js';
import { lastLine } from '../host/command.js';
import type { HostCommands } from './host-commands.js';
import type { SourceSpec } from './plan.js';

export interface SourceContext {
  commands: HostCommands;
  /** Everything opened here (loop devices, mappings, mount points, mounts) is held here and released by the caller. */
  stack: ResourceStack;
  emit: Emit;
  signal: AbortSignal;
  runId: string;
  /** The bucket's name: the directory AWS puts an export under, at the disk's root. */
  bucket: string;
  /** The TrueCrypt password, asked for only when a container is found (environment, file or prompt: the CLI's choice). */
  truecryptPassword?: () => Promise<string>;
}

/** The directory whose files correspond to the objects (`<mount>/<target-directory or bucket>` on a disk). */
export interface OpenedSource {
  root: string;
  /** How the disk was opened, for the report. */
  notes: string[];
}

/**
 * Opens what is verified, never writing to it: a directory as it is; a disk (device, partition or image file)
 * mounted read-only in a private temporary directory, through its partition table, and through a TrueCrypt
 * container at its root if there is one. The one exception is the original's repair of a GPT whose backup
 * header is not at the end of a device — only when the kernel ignores the table for that reason, and said first.
 */
export async function openSource(spec: SourceSpec, ctx: SourceContext): Promise<OpenedSource> {
  const notes: string[] = [];
  if (spec.kind === 'dir') {
    const root = spec.targetDirectory ? join(spec.path, spec.targetDirectory) : spec.path;
    await requireDirectory(root, undefined, spec.targetDirectory ? { input: 'targetDirectory', value: spec.targetDirectory } : undefined);
    return { root, notes };
  }
  const disk = spec.kind === 'image' ? await attachLoop(ctx, ['--partscan', spec.path], spec.path) : spec.path;
  const filesystem = await chooseFilesystem(disk, spec.kind === 'device', ctx, notes);
  let top = await mountReadOnly(filesystem, ctx, notes);
  const container = await findTrueCryptContainer(top);
  if (container) {
    notes.push(`TrueCrypt container ${container}`);
    top = await mountReadOnly(await openTrueCrypt(container, ctx, `${basename(container)} on ${spec.path}`), ctx, notes);
  }
  const sub = spec.targetDirectory ?? ctx.bucket;
  const root = join(top, sub);
  await requireDirectory(root, `${spec.path} has no directory '${sub}' at its root${spec.targetDirectory ? '' : ' (the bucket name)'}`, spec.targetDirectory ? undefined : { remedy: 'targetDirectory' });
  return { root, notes };
}

/** `missing`: the whole message when it is not there; without it, "PATH: no such directory". */
async function requireDirectory(path: string, missing?: string, advice?: Advice): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError(missing ?? `${path}: no such directory`, advice);
  if (!info.isDirectory()) throw new UsageError(missing ?? `${path}: not a directory`, advice);
}

/** The partition (or whole disk) holding the filesystem, as the kernel or — failing that — a read-only loop device shows it. */
async function chooseFilesystem(disk: string, mayRepair: boolean, ctx: SourceContext, notes: string[]): Promise<string> {
  const { commands, signal, emit } = ctx;
  const kernel = await kernelDisk(disk).catch(() => {
    throw new UsageError(`${disk}: no such device`);
  });
  if (kernel.isPartition) return kernel.device;
  const fromKernel = await firstWithFilesystem(kernel.partitions, ctx);
  if (fromKernel) return fromKernel;
  const whole = await probe(commands, kernel.device, signal);
  if (whole.type) return kernel.device;
  if (!whole.ptType) throw new OffsiteError(`${disk}: no filesystem and no partition table found`);

  const table = parseSgdiskTable((await sgdisk(ctx, ['-p', kernel.device])).stdout);
  if (table.partitions.length === 0) throw new OffsiteError(`${disk}: its ${whole.ptType} partition table lists no partitions`);
  if (mayRepair && whole.ptType === 'gpt' && backupHeaderMisplaced((await sgdisk(ctx, ['-v', kernel.device])).stdout)) {
    emit({
      type: 'warning',
      message: `${disk}: the GPT backup header is not at the end of the disk, so the kernel ignores its partitions; moving it there with sgdisk --move-second-header (as s3export did)`,
    });
    await sgdisk(ctx, ['--move-second-header', kernel.device]);
    notes.push('GPT backup header moved to the end of the disk');
    await commands.run(['blockdev', '--rereadpt', kernel.device], { signal });
    await commands.run(['partx', '--update', kernel.device], { signal });
    const repaired = await firstWithFilesystem((await kernelDisk(disk)).partitions, ctx);
    if (repaired) return repaired;
  }
  // The kernel shows no partition devices (an image, a table it ignores): map the first partition's bytes read-only.
  const first = table.partitions[0]!;
  const offset = first.startSector * table.sectorSize;
  const length = (first.endSector - first.startSector + 1) * table.sectorSize;
  emit({ type: 'log', message: `${disk}: the kernel shows no partitions; reading partition ${first.number} through a read-only loop device` });
  notes.push(`partition ${first.number} read through a loop device at offset ${offset}`);
  return attachLoop(ctx, ['--offset', String(offset), '--sizelimit', String(length), kernel.device], `partition ${first.number} of ${disk}`);
}

async function firstWithFilesystem(partitions: string[], ctx: SourceContext): Promise<string | undefined> {
  for (const partition of partitions) if ((await probe(ctx.commands, partition, ctx.signal)).type) return partition;
  return undefined;
}

async function sgdisk(ctx: SourceContext, args: string[]): Promise<{ stdout: string }> {
  const result = await ctx.commands.run(['sgdisk', ...args], { signal: ctx.signal });
  if (result.code === 127) throw new OffsiteError('sgdisk is not installed (Debian: gdisk)');
  if (result.code !== 0) throw new OffsiteError(`sgdisk ${args.join(' ')} failed: ${lastLine(result.stderr || result.stdout) || `exit ${result.code}`}`);
  return result;
}

/** A read-only loop device, held until the run ends. */
async function attachLoop(ctx: SourceContext, args: string[], what: string): Promise<string> {
  let last = '';
  // Another process may take the free device between losetup's look-up and its bind: try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await ctx.commands.run(['losetup', '--read-only', '--find', '--show', ...args], { signal: ctx.signal });
    if (result.code === 127) throw new OffsiteError('losetup is not installed (util-linux)');
    const device = result.stdout.trim();
    if (result.code === 0 && device.startsWith('/dev/')) {
      await holdUntil(ctx, { kind: 'loop-device', id: device, title: `Detach ${device}`, detail: what }, ['losetup', '--detach', device]);
      return device;
    }
    last = lastLine(result.stderr) || `exit ${result.code}`;
  }
  throw new OffsiteError(`could not set up a loop device for ${what}: ${last}`);
}

/** Mounts a device read-only (no journal replay) in a new private temporary directory; both are held. */
async function mountReadOnly(device: string, ctx: SourceContext, notes: string[]): Promise<string> {
  const { type } = await probe(ctx.commands, device, ctx.signal);
  if (!type) throw new OffsiteError(`${device}: no filesystem found`);
  const mountPoint = await mkdtemp(join(tmpdir(), 'offsite-verify-'));
  await ctx.stack.add({ kind: 'temp-dir', id: mountPoint, title: `Remove ${mountPoint}`, release: async () => (await rmdir(mountPoint), 'removed') }, undefined, ctx.signal);
  const options = readOnlyOptions(type);
  const result = await ctx.commands.run(['mount', '-t', type, '-o', options, device, mountPoint], { signal: ctx.signal });
  if (result.code !== 0) throw new OffsiteError(`mounting ${device} read-only failed: ${lastLine(result.stderr) || `exit ${result.code}`}`);
  await ctx.stack.add({ kind: 'mount', id: mountPoint, title: `Unmount ${mountPoint}`, release: (signal) => unmount(ctx.commands, mountPoint, signal) }, device, ctx.signal);
  notes.push(`${device} (${type}) mounted ${options} at ${mountPoint}`);
  ctx.emit({ type: 'log', message: `${device} (${type}) is mounted ${options} at ${mountPoint}` });
  return mountPoint;
}

/** umount, a few more times while busy; "not mounted" counts as done. */
async function unmount(commands: HostCommands, mountPoint: string, signal: AbortSignal | undefined): Promise<'unmounted'> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await commands.run(['umount', mountPoint], signal ? { signal } : {});
    if (result.code === 0 || /not mounted/i.test(result.stderr)) return 'unmounted';
    last = lastLine(result.stderr) || `exit ${result.code}`;
    await delay(500 * 2 ** attempt, undefined, signal ? { signal } : undefined).catch(() => undefined);
  }
  throw new OffsiteError(`could not unmount ${mountPoint}: ${last}`);
}

/** AWS put the TrueCrypt container at the filesystem's root, named *.tc; the original took the first. */
export async function findTrueCryptContainer(mountPoint: string): Promise<string | undefined> {
  const entries = await readdir(mountPoint, { withFileTypes: true }).catch(() => []);
  const found = entries.filter((e) => e.isFile() && /\.tc$/i.test(e.name)).map((e) => e.name).sort()[0];
  return found ? join(mountPoint, found) : undefined;
}

/**
 * Opens a TrueCrypt container read-only with cryptsetup. The password goes to cryptsetup's standard input, never
 * into an argument list. Without device-mapper in the kernel (/proc/misc) this cannot work: one line says so.
 */
export async function openTrueCrypt(container: string, ctx: SourceContext, label = container): Promise<string> {
  const misc = (await ctx.commands.readText('/proc/misc')) ?? '';
  if (!/\bdevice-mapper\b/.test(misc)) {
    throw new OffsiteError(`${label} is a TrueCrypt container, but this kernel has no device-mapper, which cryptsetup needs to open it`);
  }
  if (!ctx.truecryptPassword) throw new UsageError(`${label} is a TrueCrypt container: give its password in OFFSITE_TRUECRYPT_PASSWORD`, { remedy: 'passwordFile' });
  const password = await ctx.truecryptPassword();
  const name = `offsite-verify-${ctx.runId}`;
  const result = await ctx.commands.run(['cryptsetup', 'open', '--type', 'tcrypt', '--readonly', container, name], { stdin: `${password}\n`, signal: ctx.signal });
  if (result.code === 127) throw new OffsiteError('cryptsetup is not installed (Debian: cryptsetup-bin)');
  if (result.code !== 0) throw new OffsiteError(`cryptsetup could not open ${label}: ${lastLine(result.stderr) || `exit ${result.code}`}`);
  await holdUntil(ctx, { kind: 'crypt-mapping', id: name, title: `Close ${name}`, detail: label }, ['cryptsetup', 'close', name]);
  return `/dev/mapper/${name}`;
}

/** Holds what a command made until `releaseArgv` undoes it; a failed release (with what it said) is left to the operator. */
async function holdUntil(ctx: SourceContext, item: { kind: 'loop-device' | 'crypt-mapping'; id: string; title: string; detail: string }, releaseArgv: string[]): Promise<void> {
  const release = async (signal: AbortSignal | undefined): Promise<'closed'> => {
    const result = await ctx.commands.run(releaseArgv, signal ? { signal } : {});
    if (result.code !== 0) throw new OffsiteError(`${releaseArgv.join(' ')}: ${lastLine(result.stderr) || `exit ${result.code}`}`);
    return 'closed';
  };
  await ctx.stack.add({ kind: item.kind, id: item.id, title: item.title, release }, item.detail, ctx.signal);
}
