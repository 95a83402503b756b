import { hostname } from 'node:os';
import { OffsiteError, UsageError, describeError } from '../../errors.js';
import { runProcessAlive } from '../ledger/ledger.js';
import { phaseRunner, skipPhase } from '../phases.js';
import type { RunControl } from '../run-control.js';
import { ProgressMeter } from '../progress.js';
import { escapeName } from '../../util/escape-name.js';
import { formatBytes } from '../../util/format.js';
import { ddTransfer } from './dd-transfer.js';
import { checkReadBack } from './read-back.js';
import { InstanceLifecycle, type LifecycleDeps } from '../instance/lifecycle.js';
import type { EbsBackupPlan, EbsBackupResult } from './plan.js';
import { markInProgress, writeProof } from './proof.js';
import { changedBetween, regularFileStates, type TreeState } from './rsync-recheck.js';
import { ensureRemoteRsync, inspectDevice, makeFilesystem, mountDevice, rsyncTransfer } from './rsync-transfer.js';
import { measureDir, volumeSizeFor } from './source-dir.js';
import { TAG_NAMED_BY_USER } from '../instance/tags.js';
import { snapshotBackup } from './snapshot.js';
import { checkUserVolume, describeVolume, tagVolume } from '../instance/volume.js';
import { releaseVolume, takeVolume } from '../instance/volume-lock.js';

export type EbsBackupDeps = LifecycleDeps & {
  /** Whether another run's process is alive on this machine (its ledger says which pid); default: read the ledger. */
  runAlive?: (runId: string) => Promise<boolean>;
};

/**
 * Backs up a directory onto an EBS volume through a temporary instance. Every resource is recorded in the
 * ledger and tagged before use and released at the end, in reverse order; a volume the user named is never
 * deleted, and is held by this run (a lock tag) from before the launch until the end.
 */
export async function runEbsBackup(plan: EbsBackupPlan, deps: EbsBackupDeps, control: RunControl): Promise<EbsBackupResult> {
  const { ec2, ledger } = deps;
  const { signal, emit } = control;
  const runId = ledger.runId;
  const phase = phaseRunner(emit, signal);
  const started = Date.now();
  const life = new InstanceLifecycle(deps, control, plan);
  let completed = false;
  let result: EbsBackupResult | undefined;
  let failure: unknown;

  emit({ type: 'run-start', runId, command: `ebs ${plan.method}` });
  try {
    const measure = await phase('measure', `Measure ${escapeName(plan.dir)}`, () => measureDir(plan.dir, signal));
    if (measure.unreadable.length > 0) {
      throw new UsageError(
        `${escapeName(plan.dir)}: ${measure.unreadable.length} ${measure.unreadable.length === 1 ? 'entry' : 'entries'} cannot be read (first: ${measure.unreadable[0]})`,
      );
    }
    if (measure.unmeasured > 0) emit({ type: 'warning', message: `${measure.unmeasured} entries lie deeper than a path can reach (over 4096 bytes); they are not counted in the size, tar and rsync still copy them` });
    emit({ type: 'log', message: `${escapeName(plan.dir)}: ${measure.files} files, ${measure.directories} directories, ${formatBytes(measure.bytes)}` });
    const neededGiB = volumeSizeFor(measure.bytes);

    // Everything we can check before creating anything.
    let zone: string | undefined;
    const { volumeId: userVolumeId } = plan;
    if (userVolumeId) {
      // Taken first, so that a volume another run holds is refused as "in use by run …", naming it.
      await phase('volume-check', `Check ${userVolumeId}`, () => claimNamedVolume(userVolumeId, deps, life, control));
      const volume = await describeVolume(ec2, userVolumeId);
      checkUserVolume(volume, neededGiB, measure.bytes);
      zone = life.zoneForVolume(volume);
    }
    const placement = await life.choosePlacement(zone);
    const sizeGiB = plan.volumeSizeGiB ?? neededGiB;
    const { instanceId, zone: instanceZone, volumeId, session, transport, address, device } = await life.bringUp(
      placement,
      userVolumeId
        ? { volumeId: userVolumeId }
        : { create: (az) => ({ title: `Create ${sizeGiB} GiB gp3 volume in ${az}`, request: { sizeGiB, availabilityZone: az }, purpose: 'backup incomplete' }) },
    );
    // From here the data changes: the old proof must not outlive it (a new volume is born "in progress").
    if (userVolumeId) await phase('proof', `Mark ${volumeId} as being written`, () => markInProgress(ec2, volumeId, runId));

    let bytesTransferred = 0;
    let sha256: string | undefined;
    let changed: (string | Buffer)[];
    if (plan.method === 'dd') {
      const meter = new ProgressMeter('dd', emit, measure.tarBytesEstimate);
      const sent = await phase('dd', `Write tar of ${escapeName(plan.dir)} to ${device} with dd, reading it back as it goes`, () => ddTransfer({ transport, dir: plan.dir, device, meter, emit, signal, ...(plan.bandwidthLimit ? { bandwidthLimit: plan.bandwidthLimit } : {}) }));
      bytesTransferred = sent.bytes;
      sha256 = sent.sha256;
      changed = sent.changed;
      // The instance read every segment back off the device (O_DIRECT) while dd wrote the next: compare the hashes here.
      await phase('verify', `Check ${formatBytes(sent.bytes)} read back from ${device} (O_DIRECT, SHA-256)`, async () => checkReadBack(device, sent, sent.readBack));
    } else {
      await ensureRemoteRsync(session, signal);
      const content = await phase('inspect', `Inspect ${device}`, () => inspectDevice(session, device, signal));
      if (content.kind === 'data') {
        throw new OffsiteError(`${volumeId} holds data but no filesystem (a dd backup?); refusing to format it`, undefined, { advice: { remedy: 'ddMethod' } });
      }
      if (content.kind === 'blank') await phase('mkfs', `Make an ext4 filesystem on ${device}`, () => makeFilesystem(session, device, signal));
      else skipPhase(emit, 'mkfs', `Make a filesystem on ${device}`, `keeping the existing ${content.type} filesystem`);
      const mountPoint = `/mnt/offsite-${runId}`;
      const unmountNow = await life.holdMount(session, address, device, mountPoint, `Mount ${device} at ${mountPoint}`, () => mountDevice(session, device, mountPoint, signal));
      const meter = new ProgressMeter('rsync', emit, undefined);
      let before: TreeState = new Map();
      const synced = await phase('rsync', `rsync ${escapeName(plan.dir)} to ${volumeId}`, async () => {
        before = await regularFileStates(plan.dir, signal);
        return rsyncTransfer({ transport, dir: plan.dir, mountPoint, meter, emit, signal, ...(plan.bandwidthLimit ? { bandwidthLimit: plan.bandwidthLimit } : {}) });
      });
      bytesTransferred = synced.bytes;
      changed = await phase('recheck', 'Check that no file changed while it was copied', async () => changedBetween(before, await regularFileStates(plan.dir, signal)));
      // Unmount now, inside the run, so a failure to flush is a failed backup rather than a clean-up warning.
      await unmountNow();
    }
    const consistent = acceptChanges(changed, plan.allowChangingFiles ?? false, emit);

    completed = true;
    // The new volume now holds the backup: it is the user's from here on, not something to clean up.
    await life.releasedByRun('volume', volumeId, 'kept');
    await writeProof(ec2, volumeId, {
      runId,
      method: plan.method,
      source: `${hostname()}:${plan.dir}`,
      ...(sha256 ? { dd: { bytes: bytesTransferred, sha256 } } : {}),
      consistent,
    }).catch((error: unknown) => emit({ type: 'warning', message: `could not tag ${volumeId} with its proof: ${describeError(error)}` }));
    const snapshotId = plan.snapshot
      ? await phase('snapshot', `Snapshot ${volumeId}`, () => snapshotBackup(ec2, { volumeId, runId, createdBy: plan.createdBy, timeoutMs: plan.timeouts.snapshotMs ?? 60 * 60_000 }, signal))
      : undefined;
    if (snapshotId) emit({ type: 'resource-created', kind: 'snapshot', id: snapshotId, detail: `of ${volumeId}, kept` });

    result = {
      volumeId,
      createdVolume: !userVolumeId,
      method: plan.method,
      instanceId,
      availabilityZone: instanceZone,
      bytesTransferred,
      ...(sha256 ? { sha256 } : {}),
      consistent,
      ...(changed.length > 0 ? { changedFiles: changed.map((name) => escapeName(name)) } : {}),
      ...(snapshotId ? { snapshotId } : {}),
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    failure = error;
  }
  await life.finish(completed, { ...(failure !== undefined ? { failure } : {}), ...(result ? { result } : {}) });
  if (failure !== undefined || !result) throw failure;
  return result;
}

/**
 * Takes a volume the user named: the lock tag (refused if a live run holds it), the "named by user" mark that
 * keeps `offsite cleanup` off it, and a clean-up step that gives the lock back last of all.
 */
async function claimNamedVolume(volumeId: string, deps: EbsBackupDeps, life: InstanceLifecycle, control: RunControl): Promise<void> {
  const { ec2, ledger } = deps;
  const runAlive = deps.runAlive ?? ((runId: string) => runProcessAlive(runId));
  await takeVolume({ ec2, volumeId, runId: ledger.runId, emit: control.emit, localRunAlive: runAlive });
  await ledger.record({ op: 'created', kind: 'lock', id: volumeId, region: await life.region(), userOwned: true, detail: 'named by user' });
  life.addCleanup({
    title: `Release ${volumeId}`,
    kind: 'lock',
    id: volumeId,
    run: async () => {
      await releaseVolume(ec2, volumeId, ledger.runId);
      return 'removed';
    },
  });
  await tagVolume(ec2, volumeId, [{ Key: TAG_NAMED_BY_USER, Value: 'true' }]);
}

/**
 * A file that changed while it was read makes the backup inconsistent: a failure naming the file, unless the
 * user accepted it, in which case the volume is tagged inconsistent (never a good backup) and the run warns.
 */
function acceptChanges(changed: (string | Buffer)[], allowed: boolean, emit: RunControl['emit']): boolean {
  if (changed.length === 0) return true;
  const named = `${escapeName(changed[0]!)}${changed.length > 1 ? ` and ${changed.length - 1} more` : ''}`;
  if (!allowed) {
    throw new OffsiteError(`${named} changed while it was backed up, so the copy is not consistent; back up a quiet directory or a snapshot`, undefined, { advice: { remedy: 'allowChangingFiles' } });
  }
  emit({ type: 'warning', message: `${named} changed while it was backed up; the volume is tagged offsite:state=inconsistent, not as a good backup` });
  return false;
}
