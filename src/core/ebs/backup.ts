import { hostname } from 'node:os';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventInput, ResourceKind } from '../events.js';
import { OffsiteError, UsageError, describeError } from '../errors.js';
import type { RunLedger } from '../ledger/ledger.js';
import { phaseRunner, skipPhase, type Emit } from '../phases.js';
import type { RunControl } from '../run-control.js';
import { ProgressMeter } from '../progress.js';
import { formatBytes } from '../util/format.js';
import { openBulkTransport } from '../../ssh/bulk-transport.js';
import { connectVerified } from './connect.js';
import { ddTransfer, deviceSha256 } from './dd-transfer.js';
import { resolveDevice } from './device.js';
import {
  DEFAULT_INSTANCE_TYPE,
  chooseImage,
  instanceAddress,
  launchInstance,
  readConsoleOutput,
  subnetZone,
  terminateInstance,
  waitForRunning,
} from './instance.js';
import type { EbsBackupPlan, EbsBackupResult } from './plan.js';
import { ensureRemoteRsync, inspectDevice, makeFilesystem, mountDevice, rsyncTransfer, unmountDevice } from './rsync-transfer.js';
import { measureDir, volumeSizeFor } from './source-dir.js';
import { liveRunInstances, runBackupVolumes } from './sweep.js';
import {
  ATTACH_DEVICE,
  attachVolume,
  checkUserVolume,
  createVolume,
  deleteVolume,
  describeVolume,
  detachVolume,
  tagVolume,
  waitForAvailable,
} from './volume.js';

export interface EbsBackupDeps {
  ec2: EC2Client;
  ledger: RunLedger;
  /** Where the instance's console text comes from (GetConsoleOutput); a seam for tests. */
  readConsole?: (instanceId: string) => Promise<string>;
}

interface CleanupStep {
  title: string;
  kind: ResourceKind;
  id: string;
  run: (signal: AbortSignal | undefined) => Promise<'terminated' | 'deleted' | 'detached' | 'unmounted' | 'closed' | 'kept' | undefined>;
}

/**
 * Backs up a directory onto an EBS volume through a temporary instance. Every resource is recorded in the
 * ledger and tagged before use and released in `finally`, in reverse order; a volume the user named is never deleted.
 */
export async function runEbsBackup(plan: EbsBackupPlan, deps: EbsBackupDeps, control: RunControl): Promise<EbsBackupResult> {
  const { ec2, ledger } = deps;
  const { signal, emit } = control;
  const runId = ledger.runId;
  const phase = phaseRunner(emit, signal);
  const started = Date.now();
  const cleanups: CleanupStep[] = [];
  let completed = false;
  let launchAttempted = false;

  const created = async (kind: ResourceKind, id: string, detail?: string, userOwned = false): Promise<void> => {
    await ledger.record({ op: 'created', kind, id, ...(userOwned ? { userOwned } : {}), ...(detail ? { detail } : {}) });
    emit({ type: 'resource-created', kind, id, ...(detail ? { detail } : {}) });
  };

  emit({ type: 'run-start', runId, command: `ebs ${plan.method}` });
  try {
    const measure = await phase('measure', `Measure ${plan.dir}`, () => measureDir(plan.dir, signal));
    if (measure.unreadable.length > 0) {
      throw new UsageError(
        `${plan.dir}: ${measure.unreadable.length} ${measure.unreadable.length === 1 ? 'entry' : 'entries'} cannot be read (first: ${measure.unreadable[0]})`,
      );
    }
    emit({ type: 'log', message: `${plan.dir}: ${measure.files} files, ${measure.directories} directories, ${formatBytes(measure.bytes)}` });
    const neededGiB = volumeSizeFor(measure.bytes);
    const instanceType = plan.instance.instanceType ?? DEFAULT_INSTANCE_TYPE;

    // Everything we can check before creating anything.
    let zone = plan.instance.availabilityZone;
    const { volumeId: userVolumeId } = plan;
    if (userVolumeId) {
      const volume = await phase('volume-check', `Check ${userVolumeId}`, () => describeVolume(ec2, userVolumeId));
      checkUserVolume(volume, neededGiB, measure.bytes);
      if (zone && zone !== volume.AvailabilityZone) {
        throw new UsageError(`--placement AvailabilityZone=${zone} conflicts with ${userVolumeId}, which is in ${volume.AvailabilityZone}`);
      }
      zone = volume.AvailabilityZone;
    }
    if (plan.instance.subnetId) {
      const subnetAz = await subnetZone(ec2, plan.instance.subnetId);
      if (zone && subnetAz !== zone) {
        throw new UsageError(`--subnet-id ${plan.instance.subnetId} is in ${subnetAz}, but the volume/placement needs ${zone}`);
      }
      zone = subnetAz;
    }
    const image = await chooseImage(ec2, plan.instance, instanceType);

    // Instance.
    const instanceToken = `${runId}-instance`;
    const instance = await phase('instance', `Launch ${instanceType} instance${zone ? ` in ${zone}` : ''}`, async () => {
      await ledger.record({ op: 'intent', kind: 'instance', clientToken: instanceToken });
      launchAttempted = true;
      const launched = await launchInstance(
        ec2,
        {
          image,
          instanceType,
          ...(zone ? { availabilityZone: zone } : {}),
          overrides: plan.instance,
          runId,
          createdBy: plan.createdBy,
          selfDestructMinutes: plan.selfDestructMinutes,
          clientToken: instanceToken,
        },
        signal,
      );
      const id = launched.InstanceId!;
      await created('instance', id, `${instanceType} ${image.imageId}`);
      cleanups.push({
        title: `Terminate ${id}`,
        kind: 'instance',
        id,
        run: async (s) => {
          await terminateInstance(ec2, id, plan.timeouts.cleanupMs, s);
          return 'terminated';
        },
      });
      return waitForRunning(ec2, id, plan.timeouts.instanceRunningMs, signal);
    });
    const instanceId = instance.InstanceId!;
    const instanceZone = instance.Placement?.AvailabilityZone ?? zone;
    if (!instanceZone) throw new OffsiteError(`${instanceId} reports no Availability Zone`);

    // Volume.
    let volumeId: string;
    if (userVolumeId) {
      volumeId = userVolumeId;
    } else {
      const sizeGiB = plan.volumeSizeGiB ?? neededGiB;
      volumeId = await phase('volume', `Create ${sizeGiB} GiB gp3 volume in ${instanceZone}`, async () => {
        const token = `${runId}-volume`;
        await ledger.record({ op: 'intent', kind: 'volume', clientToken: token });
        const id = await createVolume(ec2, { sizeGiB, availabilityZone: instanceZone, runId, createdBy: plan.createdBy, clientToken: token }, signal);
        await created('volume', id, `${sizeGiB} GiB gp3 ${instanceZone}`);
        cleanups.push({
          title: `Delete ${id} (backup incomplete)`,
          kind: 'volume',
          id,
          run: async (s) => {
            await deleteVolume(ec2, id, plan.timeouts.cleanupMs, s);
            return 'deleted';
          },
        });
        await waitForAvailable(ec2, id, plan.timeouts.volumeMs, signal);
        return id;
      });
    }

    await phase('attach', `Attach ${volumeId} to ${instanceId}`, async () => {
      const attachmentId = `${volumeId}@${instanceId}`;
      await attachVolume(ec2, volumeId, instanceId, plan.timeouts.volumeMs, signal);
      await created('attachment', attachmentId, ATTACH_DEVICE);
      cleanups.push({
        title: `Detach ${volumeId}`,
        kind: 'attachment',
        id: attachmentId,
        run: async (s) => {
          await detachVolume(ec2, volumeId, instanceId, plan.timeouts.cleanupMs, s);
          return 'detached';
        },
      });
    });

    // SSH, with a verified host key.
    const address = plan.ssh.hostName ?? instanceAddress(instance);
    if (!address) throw new OffsiteError(`${instanceId} has no address to connect to (no public DNS/IP); pass -o HostName=… in EC2_BACKUP_FLAGS_SSH`);
    const readConsole = deps.readConsole ?? ((id: string) => readConsoleOutput(ec2, id));
    const session = await phase('ssh', `Connect to ${address} over SSH`, async () => {
      const connected = await connectVerified({
        address,
        options: plan.ssh,
        defaultUser: plan.ssh.user ?? image.defaultUser,
        instanceId,
        readConsole: () => readConsole(instanceId),
        timeouts: plan.timeouts,
        signal,
        emit,
      });
      await created('ssh-session', `${connected.user}@${address}:${connected.port}`);
      cleanups.push({
        title: 'Close SSH session',
        kind: 'ssh-session',
        id: `${connected.user}@${address}:${connected.port}`,
        run: async () => {
          await connected.close();
          return 'closed';
        },
      });
      return connected;
    });

    const transport = await openBulkTransport(session, plan.ssh, plan.transport);
    cleanups.push({ title: 'Close the data channel', kind: 'temp-dir', id: `${transport.name}-transport`, run: async () => { await transport.close(); return undefined; } });
    emit({
      type: 'log',
      message: transport.name === 'openssh' ? 'data moves over OpenSSH, pinned to the verified host key' : 'data moves over the ssh2 session',
    });

    const device = await phase('device', `Find ${volumeId} on the instance`, () => resolveDevice(session, volumeId, ATTACH_DEVICE, plan.timeouts.deviceMs, signal));
    emit({ type: 'log', message: `${volumeId} is ${device} on the instance` });

    let bytesTransferred = 0;
    let sha256: string | undefined;
    if (plan.method === 'dd') {
      const meter = new ProgressMeter('dd', emit, measure.tarBytesEstimate);
      const sent = await phase('dd', `Write tar of ${plan.dir} to ${device} with dd`, () => ddTransfer({ transport, dir: plan.dir, device, meter, emit, signal, ...(plan.bandwidthLimit ? { bandwidthLimit: plan.bandwidthLimit } : {}) }));
      bytesTransferred = sent.bytes;
      sha256 = sent.sha256;
      await phase('verify', `Verify ${formatBytes(sent.bytes)} on ${device} (SHA-256)`, async () => {
        const onDevice = await deviceSha256(session, device, sent.bytes, signal);
        if (onDevice !== sent.sha256) throw new OffsiteError(`verification failed: the volume's SHA-256 ${onDevice} differs from the stream's ${sent.sha256}`);
      });
    } else {
      await ensureRemoteRsync(session, signal);
      const content = await phase('inspect', `Inspect ${device}`, () => inspectDevice(session, device, signal));
      if (content.kind === 'data') {
        throw new OffsiteError(`${volumeId} holds data but no filesystem (a dd backup?); refusing to format it: use -m dd or another volume`);
      }
      if (content.kind === 'blank') await phase('mkfs', `Make an ext4 filesystem on ${device}`, () => makeFilesystem(session, device, signal));
      else skipPhase(emit, 'mkfs', `Make a filesystem on ${device}`, `keeping the existing ${content.type} filesystem`);
      const mountPoint = `/mnt/offsite-${runId}`;
      await phase('mount', `Mount ${device} at ${mountPoint}`, async () => {
        await mountDevice(session, device, mountPoint, signal);
        await created('mount', `${address}:${mountPoint}`, device);
      });
      const unmount: CleanupStep = {
        title: `Unmount ${mountPoint}`,
        kind: 'mount',
        id: `${address}:${mountPoint}`,
        run: async (s) => {
          await unmountDevice(session, mountPoint, plan.timeouts.cleanupMs, s);
          return 'unmounted';
        },
      };
      cleanups.push(unmount);
      const meter = new ProgressMeter('rsync', emit, undefined);
      const synced = await phase('rsync', `rsync ${plan.dir} to ${volumeId}`, () => rsyncTransfer({ transport, dir: plan.dir, mountPoint, meter, emit, signal, ...(plan.bandwidthLimit ? { bandwidthLimit: plan.bandwidthLimit } : {}) }));
      bytesTransferred = synced.bytes;
      // Unmount now, inside the run, so a failure to flush is a failed backup rather than a clean-up warning.
      await phase('unmount', `Unmount ${mountPoint}`, () => unmountDevice(session, mountPoint, plan.timeouts.cleanupMs, signal));
      cleanups.splice(cleanups.indexOf(unmount), 1);
      await releasedNow(ledger, emit, 'mount', unmount.id, 'unmounted');
    }

    completed = true;
    // The new volume now holds the backup: it is the user's from here on, not something to clean up.
    const createdVolumeStep = cleanups.findIndex((step) => step.kind === 'volume' && step.id === volumeId);
    if (createdVolumeStep >= 0) {
      cleanups.splice(createdVolumeStep, 1);
      await releasedNow(ledger, emit, 'volume', volumeId, 'kept');
    }
    await tagVolume(ec2, volumeId, [
      { Key: 'offsite:last-backup', Value: new Date().toISOString() },
      { Key: 'offsite:method', Value: plan.method },
      { Key: 'offsite:source', Value: `${hostname()}:${plan.dir}`.slice(0, 255) },
      ...(sha256 ? [{ Key: 'offsite:dd-bytes', Value: String(bytesTransferred) }, { Key: 'offsite:dd-sha256', Value: sha256 }] : []),
    ]).catch((error: unknown) => emit({ type: 'warning', message: `could not tag ${volumeId}: ${describeError(error)}` }));

    const result: EbsBackupResult = {
      volumeId,
      createdVolume: !userVolumeId,
      method: plan.method,
      instanceId,
      availabilityZone: instanceZone,
      bytesTransferred,
      ...(sha256 ? { sha256 } : {}),
      elapsedMs: Date.now() - started,
    };
    return result;
  } finally {
    const leftovers = await cleanUp(cleanups, { ledger, emit, ec2, runId, launchAttempted, completed, cleanupSignal: control.cleanupSignal, timeoutMs: plan.timeouts.cleanupMs });
    if (leftovers.length > 0) {
      emit({ type: 'warning', message: `left behind: ${leftovers.join(', ')}; run 'offsite cleanup' or remove them by hand` });
    }
  }
}

async function releasedNow(
  ledger: RunLedger,
  emit: (event: EventInput) => void,
  kind: ResourceKind,
  id: string,
  action: 'terminated' | 'deleted' | 'detached' | 'unmounted' | 'closed' | 'kept',
): Promise<void> {
  await ledger.record({ op: 'released', kind, id, action });
  emit({ type: 'resource-released', kind, id, action });
}

/** Runs the clean-up steps newest first; one failing step does not stop the others. Returns what is left. */
async function cleanUp(
  steps: CleanupStep[],
  context: {
    ledger: RunLedger;
    emit: Emit;
    ec2: EC2Client;
    runId: string;
    launchAttempted: boolean;
    completed: boolean;
    cleanupSignal: AbortSignal | undefined;
    timeoutMs: number;
  },
): Promise<string[]> {
  const { ledger, emit, ec2, runId, cleanupSignal } = context;
  const phase = phaseRunner(emit, cleanupSignal);
  const leftovers: string[] = [];
  const handled = new Set<string>();
  for (const step of [...steps].reverse()) {
    handled.add(step.id);
    if (cleanupSignal?.aborted) {
      leftovers.push(step.id);
      continue;
    }
    try {
      const action = await phase(`cleanup:${step.kind}`, step.title, () => step.run(cleanupSignal));
      if (action) await releasedNow(ledger, emit, step.kind, step.id, action);
    } catch (error) {
      emit({ type: 'warning', message: `${step.title} failed: ${describeError(error)}` });
      if (step.kind !== 'ssh-session') leftovers.push(step.id);
    }
  }
  if (!context.launchAttempted || cleanupSignal?.aborted) return leftovers;
  // Safety net: anything tagged with this run that the steps above did not know about
  // (an interrupted RunInstances/CreateVolume call that never returned its id).
  try {
    for (const id of await liveRunInstances(ec2, runId)) {
      if (handled.has(id)) continue;
      await ledger.record({ op: 'created', kind: 'instance', id, detail: 'found by run tag' });
      await phase('cleanup:instance', `Terminate ${id} (found by run tag)`, () => terminateInstance(ec2, id, context.timeoutMs, cleanupSignal));
      await releasedNow(ledger, emit, 'instance', id, 'terminated');
    }
    if (!context.completed) {
      for (const volume of await runBackupVolumes(ec2, runId)) {
        if (handled.has(volume.id) || volume.state !== 'available') continue;
        await ledger.record({ op: 'created', kind: 'volume', id: volume.id, detail: 'found by run tag' });
        await phase('cleanup:volume', `Delete ${volume.id} (found by run tag)`, () => deleteVolume(ec2, volume.id, context.timeoutMs, cleanupSignal));
        await releasedNow(ledger, emit, 'volume', volume.id, 'deleted');
      }
    }
  } catch (error) {
    emit({ type: 'warning', message: `could not check for this run's leftovers: ${describeError(error)}` });
    leftovers.push(`resources tagged offsite:run-id=${runId}`);
  }
  return leftovers;
}
