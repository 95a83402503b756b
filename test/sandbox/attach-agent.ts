/**
 * The attach agent: makes volumes that moto says are attached exist on this machine, where the instance-side
 * device resolver looks for them.
 *
 * Every poll reads DescribeVolumes. A volume with an attachment in state `attached` gets a sparse backing file
 * `<dir>/volumes/<vol-id>.img` (created once, of the volume's size; a later attachment reuses it with its
 * content), a loop device on that file where we are root, and the symlink Amazon Linux's udev rules create for an
 * EBS NVMe device: `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<hex>`. When the attachment goes away the
 * link and the loop device go; the file stays, so tests can read the backup back.
 *
 * The agent only ever removes links and loop devices it made itself, and checks before removing that they are
 * still what it made (a link still pointing at our target, a loop device still backed by our file).
 * The root volume moto gives every instance is left alone unless `includeRootVolumes` is set.
 * startAttachAgent() resolves after the first poll has completed (whether or not moto answered it).
 * A second attachment of an attached volume is refused by moto itself (VolumeInUse, see moto-rules.ts), as EC2
 * does, so the agent never sees one volume on two instances.
 */
import { DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client, type Volume } from '@aws-sdk/client-ec2';
import { execFile, execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { lstat, mkdir, open, readFile, readlink, stat, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const GiB = 1024 ** 3;

export interface AttachAgentOptions {
  /** moto's endpoint, `http://127.0.0.1:PORT`. */
  endpoint: string;
  region: string;
  /** Backing files go to `<dir>/volumes/`. */
  dir: string;
  /** Where the NVMe by-id links go. Default `/dev/disk/by-id`. */
  byIdDir?: string;
  /** Expose volumes through loop devices when we are root. Default true; false links the backing file itself. */
  useLoop?: boolean;
  /** Poll interval. Default 100 ms. */
  intervalMs?: number;
  /** Also materialise the root volumes moto creates for instances. Default false. */
  includeRootVolumes?: boolean;
}

export interface AttachedVolume {
  volumeId: string;
  instanceId: string;
  /** The device name moto recorded for the attachment (e.g. /dev/sdf). */
  deviceName: string;
  sizeGiB: number;
  /** The sparse backing file. */
  file: string;
  /** What the link points at: the loop device (e.g. /dev/loop3), or the backing file when no loop is used. */
  device: string;
  /** True when `device` is a loop device. */
  loop: boolean;
  /** The by-id link; undefined if a link of that name already existed and was not ours (see 'warning'). */
  link: string | undefined;
}

export interface DetachedVolume {
  volumeId: string;
  file: string;
}

export interface AttachAgentEvents {
  attached: [AttachedVolume];
  detached: [DetachedVolume];
  /** Something the agent declined to do or could not finish yet; it keeps going. */
  warning: [string];
  /** A poll failed (moto down, reset mid-request…); polling goes on until stop(). */
  'poll-error': [Error];
}

export interface AttachAgent {
  /** The backing file a volume has or would have (whether or not it exists yet). */
  volumeFile(volumeId: string): string;
  /** The copy of a volume's backing file a snapshot got when the agent first saw it (whether or not it exists yet). */
  snapshotFile(snapshotId: string): string;
  /** The loop device (or file) currently exposed for a volume, if it is attached. */
  devicePath(volumeId: string): string | undefined;
  /** The by-id link name for a volume, e.g. /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123…. */
  linkPath(volumeId: string): string;
  /** Everything currently materialised. */
  attached(): AttachedVolume[];
  events: EventEmitter<AttachAgentEvents>;
  whenAttached(volumeId: string, timeoutMs?: number): Promise<AttachedVolume>;
  whenDetached(volumeId: string, timeoutMs?: number): Promise<void>;
  /** Resolves after the next complete poll (handy to know the agent has seen a change). */
  nextPoll(timeoutMs?: number): Promise<void>;
  /** Stop polling, unmount and detach our loop devices, remove our links; keep the backing files. Idempotent. */
  stop(): Promise<void>;
}

/** The NVMe by-id name Amazon Linux's udev rules give an EBS volume: the id without its dash. */
export function ebsByIdName(volumeId: string): string {
  return `nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`;
}

const VOLUME_ID = /^vol-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** A loop device we created and still have to release. */
interface LoopRecord {
  device: string;
  file: string;
}

interface Materialised extends AttachedVolume {
  loopRecord: LoopRecord | undefined;
}

export async function startAttachAgent(options: AttachAgentOptions): Promise<AttachAgent> {
  const byIdDir = options.byIdDir ?? '/dev/disk/by-id';
  const intervalMs = options.intervalMs ?? 100;
  const volumesDir = path.resolve(options.dir, 'volumes');
  const wantLoop = (options.useLoop ?? true) && process.getuid?.() === 0;
  await mkdir(volumesDir, { recursive: true });
  await mkdir(byIdDir, { recursive: true });

  const ec2 = new EC2Client({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2000, requestTimeout: 20_000 },
  });
  const events = new EventEmitter<AttachAgentEvents>();
  // 'warning' and 'poll-error' are informational; never let an unheard one throw.
  events.on('warning', () => undefined);
  events.on('poll-error', () => undefined);

  const current = new Map<string, Materialised>();
  /** Loop devices whose detach was refused (still mounted/open): retried on every poll. */
  const pendingLoops: LoopRecord[] = [];
  /** Links we created, so the exit hook and stop() can remove exactly those. */
  const ourLinks = new Map<string, string>(); // link -> target
  const rootDevices = new Map<string, string>(); // instance id -> root device name
  let stopped = false;
  let pollCount = 0;
  const pollWaiters: (() => void)[] = [];
  const stopListeners = new Set<() => void>();

  const volumeFile = (volumeId: string) => path.join(volumesDir, `${volumeId}.img`);
  const snapshotFile = (snapshotId: string) => path.join(volumesDir, `${snapshotId}.img`);
  const linkPath = (volumeId: string) => path.join(byIdDir, ebsByIdName(volumeId));

  async function ensureBackingFile(volumeId: string, sizeGiB: number, snapshotId?: string): Promise<string> {
    const file = volumeFile(volumeId);
    // A volume made from a snapshot starts as a copy of what the volume held when the snapshot was taken.
    if (snapshotId && !existsSync(file) && existsSync(snapshotFile(snapshotId))) await run('cp', ['--sparse=always', snapshotFile(snapshotId), file]);
    const bytes = sizeGiB * GiB;
    const handle = await open(file, 'a'); // creates it if missing, never truncates existing content
    try {
      const { size } = await handle.stat();
      // A volume only grows (ModifyVolume): never shrink a file, that would cut a backup.
      if (size < bytes) await handle.truncate(bytes);
    } finally {
      await handle.close();
    }
    return file;
  }

  async function attachLoop(file: string): Promise<LoopRecord | undefined> {
    if (!wantLoop) return undefined;
    let lastError: unknown;
    // Another process may grab the free device between losetup's look-up and its bind: try again.
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const { stdout } = await run('losetup', ['--find', '--show', file]);
        const device = stdout.trim();
        if (!device.startsWith('/dev/loop')) throw new Error(`unexpected losetup output: ${device}`);
        return { device, file };
      } catch (error) {
        lastError = error;
        await delay(25 * (attempt + 1));
      }
    }
    events.emit('warning', `losetup failed for ${file} (${firstLine(lastError)}); linking the file itself`);
    return undefined;
  }

  async function materialise(volume: Volume, instanceId: string, deviceName: string): Promise<void> {
    const volumeId = volume.VolumeId!;
    const sizeGiB = volume.Size ?? 1;
    const file = await ensureBackingFile(volumeId, sizeGiB, volume.SnapshotId || undefined);
    const loopRecord = await attachLoop(file);
    const device = loopRecord?.device ?? file;
    const link = linkPath(volumeId);
    let madeLink: string | undefined;
    try {
      await symlink(device, link); // fails if anything is there already: we never replace what is not ours
      ourLinks.set(link, device);
      madeLink = link;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        if (loopRecord) await releaseLoop(loopRecord);
        throw error;
      }
      events.emit('warning', `${link} already exists and is not ours; leaving it alone (${volumeId} is not linked)`);
    }
    const entry: Materialised = {
      volumeId,
      instanceId,
      deviceName,
      sizeGiB,
      file,
      device,
      loop: loopRecord !== undefined,
      link: madeLink,
      loopRecord,
    };
    current.set(volumeId, entry);
    events.emit('attached', publicView(entry));
  }

  async function removeOurLink(link: string | undefined): Promise<void> {
    if (!link) return;
    const target = ourLinks.get(link);
    if (target === undefined) return;
    ourLinks.delete(link);
    try {
      if ((await readlink(link)) === target) await unlink(link);
      else events.emit('warning', `${link} no longer points at ${target}; leaving it alone`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') events.emit('warning', `could not remove ${link}: ${firstLine(error)}`);
    }
  }

  /** Detach a loop device of ours. Returns true when it is gone (or was never ours any more). */
  async function releaseLoop(record: LoopRecord): Promise<boolean> {
    if (!(await loopBackedBy(record))) return true;
    try {
      await run('losetup', ['-d', record.device]);
    } catch (error) {
      // Busy devices usually just get autoclear set (the kernel frees them on last close); a real failure is
      // retried on a later poll.
      if (!(await loopBackedBy(record))) return true;
      events.emit('warning', `losetup -d ${record.device} failed (${firstLine(error)}); will retry`);
      return false;
    }
    return !(await loopBackedBy(record));
  }

  async function retryPendingLoops(): Promise<void> {
    for (let i = pendingLoops.length - 1; i >= 0; i--) {
      if (await releaseLoop(pendingLoops[i]!)) pendingLoops.splice(i, 1);
    }
  }

  async function dematerialise(volumeId: string): Promise<void> {
    const entry = current.get(volumeId);
    if (!entry) return;
    current.delete(volumeId);
    await removeOurLink(entry.link);
    // The stand-in instance is this machine: a volume detached while still mounted (its SSH session lost before
    // the unmount) would otherwise stay mounted here, where a real instance's mounts die with it. Only what offsite
    // mounts on an instance (/mnt/offsite-…) is the instance's: a test reading the backing file (mount -o loop
    // may share our loop device) keeps its mount.
    if (entry.loopRecord && (await loopBackedBy(entry.loopRecord))) {
      await unmountEverywhere(entry.loopRecord.device, (m) => events.emit('warning', m), (mountPoint) => mountPoint.startsWith('/mnt/offsite-'));
    }
    if (entry.loopRecord && !(await releaseLoop(entry.loopRecord))) {
      pendingLoops.push(entry.loopRecord);
      events.emit('warning', `${entry.loopRecord.device} (${volumeId}) is still in use (mounted?); it will be freed when released`);
    }
    events.emit('detached', { volumeId, file: entry.file });
  }

  async function rootDeviceOf(instanceIds: string[]): Promise<void> {
    const unknown = [...new Set(instanceIds)].filter((id) => !rootDevices.has(id));
    if (unknown.length === 0) return;
    const answer = await ec2.send(new DescribeInstancesCommand({ InstanceIds: unknown }));
    for (const reservation of answer.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (instance.InstanceId) rootDevices.set(instance.InstanceId, instance.RootDeviceName ?? '');
      }
    }
  }

  async function describeAllVolumes(): Promise<Volume[]> {
    const volumes: Volume[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeVolumesCommand(token ? { NextToken: token } : {}));
      volumes.push(...(page.Volumes ?? []));
      token = page.NextToken;
    } while (token);
    return volumes;
  }

  /** moto's snapshots hold no data: the agent copies the volume's backing file the first time it sees one. */
  async function copyNewSnapshots(): Promise<void> {
    const found = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    for (const snapshot of found.Snapshots ?? []) {
      if (!snapshot.SnapshotId || !snapshot.VolumeId) continue;
      const copy = snapshotFile(snapshot.SnapshotId);
      if (existsSync(copy) || !existsSync(volumeFile(snapshot.VolumeId))) continue;
      await run('cp', ['--sparse=always', volumeFile(snapshot.VolumeId), `${copy}.part`]);
      await run('mv', [`${copy}.part`, copy]);
    }
  }

  async function pollOnce(): Promise<void> {
    await copyNewSnapshots();
    const volumes = await describeAllVolumes();
    const wanted = new Map<string, { volume: Volume; instanceId: string; deviceName: string }>();
    for (const volume of volumes) {
      const attachment = volume.Attachments?.find((a) => a.State === 'attached');
      if (!volume.VolumeId || !attachment?.InstanceId || !VOLUME_ID.test(volume.VolumeId)) continue;
      wanted.set(volume.VolumeId, { volume, instanceId: attachment.InstanceId, deviceName: attachment.Device ?? '' });
    }
    if (!options.includeRootVolumes) {
      const fresh = [...wanted.values()].filter((w) => !current.has(w.volume.VolumeId!));
      if (fresh.length > 0) {
        try {
          await rootDeviceOf(fresh.map((w) => w.instanceId));
        } catch {
          // The instance may be mid-termination; decide on a later poll.
        }
        for (const w of fresh) {
          const root = rootDevices.get(w.instanceId);
          if (root === undefined || (root !== '' && root === w.deviceName)) wanted.delete(w.volume.VolumeId!);
        }
      }
    }

    for (const [volumeId, entry] of current) {
      const want = wanted.get(volumeId);
      // Gone, or moved to another instance between two polls: release (and re-attach below if moved).
      if (!want || want.instanceId !== entry.instanceId) await dematerialise(volumeId);
    }
    await retryPendingLoops();
    for (const [volumeId, want] of wanted) {
      if (stopped) return;
      if (!current.has(volumeId)) await materialise(want.volume, want.instanceId, want.deviceName);
    }
  }

  const abort = new AbortController();
  async function pollLoop(): Promise<void> {
    while (!stopped) {
      try {
        await pollOnce();
      } catch (error) {
        if (!stopped) events.emit('poll-error', error as Error);
      }
      pollCount++;
      for (const wake of pollWaiters.splice(0)) wake();
      if (stopped) break;
      await delay(intervalMs, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }
  const loopDone = pollLoop();

  /** Synchronous last resort when the process exits without stop(): remove links, detach loops. */
  const onExit = () => {
    for (const [link, target] of ourLinks) {
      try {
        if (readlinkSync(link) === target) unlinkSync(link);
      } catch {
        // already gone
      }
    }
    for (const record of [...[...current.values()].flatMap((e) => (e.loopRecord ? [e.loopRecord] : [])), ...pendingLoops]) {
      try {
        if (loopBackedBySync(record)) execFileSync('losetup', ['-d', record.device], { stdio: 'ignore' });
      } catch {
        // best effort
      }
    }
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;

  // Ready once one poll has completed (moto loads its EC2 backend on the first request, ~1 s): a volume attached
  // right after start is then picked up within one interval.
  await new Promise<void>((resolve) => pollWaiters.push(resolve));

  function waitFor<T>(volumeId: string, timeoutMs: number, check: () => T | undefined, event: 'attached' | 'detached', what: string): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        events.removeListener(event, onEvent);
        stopListeners.delete(onStop);
      };
      const onEvent = (info: { volumeId: string }) => {
        if (info.volumeId !== volumeId) return;
        const value = check();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const onStop = () => {
        cleanup();
        reject(new Error(`sandbox: attach agent stopped while waiting for ${volumeId} to be ${what}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`sandbox: ${volumeId} was not ${what} within ${timeoutMs} ms (agent saw ${pollCount} polls)`));
      }, timeoutMs);
      events.on(event, onEvent);
      stopListeners.add(onStop);
    });
  }

  return {
    volumeFile,
    snapshotFile,
    linkPath,
    devicePath: (volumeId) => current.get(volumeId)?.device,
    attached: () => [...current.values()].map(publicView),
    events,
    whenAttached(volumeId, timeoutMs = 10_000) {
      if (stopped) return Promise.reject(new Error('sandbox: attach agent is stopped'));
      return waitFor(volumeId, timeoutMs, () => {
        const entry = current.get(volumeId);
        return entry ? publicView(entry) : undefined;
      }, 'attached', 'attached');
    },
    whenDetached(volumeId, timeoutMs = 10_000) {
      if (stopped) return Promise.resolve();
      return waitFor(volumeId, timeoutMs, () => (current.has(volumeId) ? undefined : true), 'detached', 'detached').then(() => undefined);
    },
    nextPoll(timeoutMs = 10_000) {
      if (stopped) return Promise.reject(new Error('sandbox: attach agent is stopped'));
      return new Promise<void>((resolve, reject) => {
        const target = pollCount + 2; // the poll under way may have started before the caller's change
        const timer = setTimeout(() => reject(new Error(`sandbox: attach agent did not poll within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          if (stopped) {
            clearTimeout(timer);
            reject(new Error('sandbox: attach agent stopped'));
          } else if (pollCount >= target) {
            clearTimeout(timer);
            resolve();
          } else pollWaiters.push(check);
        };
        check();
      });
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        abort.abort();
        for (const listener of [...stopListeners]) listener();
        await loopDone;
        for (const wake of pollWaiters.splice(0)) wake();
        for (const volumeId of [...current.keys()]) await dematerialise(volumeId);
        // Whatever is still held (a test that failed with the volume mounted): unmount it, then detach.
        for (const record of [...pendingLoops]) {
          if (await loopBackedBy(record)) await unmountEverywhere(record.device, (m) => events.emit('warning', m));
        }
        for (let attempt = 0; attempt < 50 && pendingLoops.length > 0; attempt++) {
          await retryPendingLoops();
          if (pendingLoops.length > 0) await delay(Math.min(20 * (attempt + 1), 200));
        }
        for (const record of pendingLoops) events.emit('warning', `${record.device} could not be detached (still in use)`);
        for (const link of [...ourLinks.keys()]) await removeOurLink(link);
        process.removeListener('exit', onExit);
        ec2.destroy();
      })();
      return stopping;
    },
  };
}

function publicView(entry: Materialised): AttachedVolume {
  const { loopRecord: _ignored, ...rest } = entry;
  return rest;
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(error)).split('\n')[0]!;
}

/** `/dev/loop3` → `/sys/block/loop3/loop/backing_file`. */
function backingFilePath(device: string): string {
  return `/sys/block/${path.basename(device)}/loop/backing_file`;
}

/** True while `record.device` is bound and backed by `record.file` (so it is still the device we made). */
async function loopBackedBy(record: LoopRecord): Promise<boolean> {
  try {
    const backing = (await readFile(backingFilePath(record.device), 'utf8')).trim();
    return await sameFile(backing.replace(/ \(deleted\)$/, ''), record.file);
  } catch {
    return false;
  }
}

function loopBackedBySync(record: LoopRecord): boolean {
  try {
    const backing = readFileSync(backingFilePath(record.device), 'utf8').trim();
    return backing === record.file || (existsSync(backing) && path.resolve(backing) === path.resolve(record.file));
  } catch {
    return false;
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Lazily unmount every mount of `device` in our mount namespace (our own loops only: at detach and at stop()). */
async function unmountEverywhere(device: string, warn: (message: string) => void, only: (mountPoint: string) => boolean = () => true): Promise<void> {
  let mountinfo: string;
  try {
    mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const mountPoints: string[] = [];
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options … - fstype source superoptions
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const source = right.split(' ')[1];
    const mountPoint = unescapeMountPath(left.split(' ')[4] ?? '');
    if (source === device && only(mountPoint)) mountPoints.push(mountPoint);
  }
  // Deepest first.
  for (const mountPoint of mountPoints.sort((x, y) => y.length - x.length)) {
    try {
      await run('umount', ['-l', mountPoint]);
      warn(`unmounted ${mountPoint} (${device} was still mounted at stop)`);
    } catch (error) {
      warn(`could not unmount ${mountPoint}: ${firstLine(error)}`);
    }
  }
}

function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Is `p` a symlink (not following it)? Exposed for tests. */
export async function isSymlink(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isSymbolicLink();
  } catch {
    return false;
  }
}
