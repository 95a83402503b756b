import { hostname } from 'node:os';
import { OffsiteError, UsageError, describeError } from '../errors.js';
import { phaseRunner, skipPhase } from '../phases.js';
import type { RunControl } from '../run-control.js';
import { ProgressMeter } from '../progress.js';
import { formatBytes } from '../util/format.js';
import { ddTransfer, deviceSha256 } from './dd-transfer.js';
import { InstanceLifecycle, type LifecycleDeps } from './lifecycle.js';
import type { EbsBackupPlan, EbsBackupResult } from './plan.js';
import { ensureRemoteRsync, inspectDevice, makeFilesystem, mountDevice, rsyncTransfer } from './rsync-transfer.js';
import { measureDir, volumeSizeFor } from './source-dir.js';
import { snapshotBackup } from './snapshot.js';
import { checkUserVolume, createVolume, deleteVolume, describeVolume, tagVolume, waitForAvailable } from './volume.js';

export type EbsBackupDeps = LifecycleDeps;

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
  const life = new InstanceLifecycle(deps, control, plan);
  let completed = false;

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

    // Everything we can check before creating anything.
    let zone: string | undefined;
    const { volumeId: userVolumeId } = plan;
    if (userVolumeId) {
      const volume = await phase('volume-check', `Check ${userVolumeId}`, () => describeVolume(ec2, userVolumeId));
      checkUserVolume(volume, neededGiB, measure.bytes);
      zone = life.zoneForVolume(volume);
    }
    const placement = await life.choosePlacement(zone);
    const { instance, instanceId, zone: instanceZone } = await life.launch(placement);

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
        await life.created('volume', id, `${sizeGiB} GiB gp3 ${instanceZone}`);
        life.addCleanup({
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

    await life.attach(volumeId, instanceId);
    const { session, transport, address } = await life.connect(instance, placement.image);
    const device = await life.findDevice(session, volumeId);

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
      const unmountNow = await life.holdMount(session, address, device, mountPoint, `Mount ${device} at ${mountPoint}`, () => mountDevice(session, device, mountPoint, signal));
      const meter = new ProgressMeter('rsync', emit, undefined);
      const synced = await phase('rsync', `rsync ${plan.dir} to ${volumeId}`, () => rsyncTransfer({ transport, dir: plan.dir, mountPoint, meter, emit, signal, ...(plan.bandwidthLimit ? { bandwidthLimit: plan.bandwidthLimit } : {}) }));
      bytesTransferred = synced.bytes;
      // Unmount now, inside the run, so a failure to flush is a failed backup rather than a clean-up warning.
      await unmountNow();
    }

    completed = true;
    // The new volume now holds the backup: it is the user's from here on, not something to clean up.
    await life.releasedByRun('volume', volumeId, 'kept');
    await tagVolume(ec2, volumeId, [
      { Key: 'offsite:last-backup', Value: new Date().toISOString() },
      { Key: 'offsite:method', Value: plan.method },
      { Key: 'offsite:source', Value: `${hostname()}:${plan.dir}`.slice(0, 255) },
      ...(sha256 ? [{ Key: 'offsite:dd-bytes', Value: String(bytesTransferred) }, { Key: 'offsite:dd-sha256', Value: sha256 }] : []),
    ]).catch((error: unknown) => emit({ type: 'warning', message: `could not tag ${volumeId}: ${describeError(error)}` }));
    const snapshotId = plan.snapshot
      ? await phase('snapshot', `Snapshot ${volumeId}`, () => snapshotBackup(ec2, { volumeId, runId, createdBy: plan.createdBy, timeoutMs: plan.timeouts.snapshotMs ?? 60 * 60_000 }, signal))
      : undefined;
    if (snapshotId) emit({ type: 'resource-created', kind: 'snapshot', id: snapshotId, detail: `of ${volumeId}, kept` });

    const result: EbsBackupResult = {
      volumeId,
      createdVolume: !userVolumeId,
      method: plan.method,
      instanceId,
      availabilityZone: instanceZone,
      bytesTransferred,
      ...(sha256 ? { sha256 } : {}),
      ...(snapshotId ? { snapshotId } : {}),
      elapsedMs: Date.now() - started,
    };
    return result;
  } finally {
    await life.finish(completed);
  }
}

