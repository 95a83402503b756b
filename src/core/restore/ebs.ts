import type { Tag } from '@aws-sdk/client-ec2';
import { InstanceLifecycle, type LifecycleDeps } from '../instance/lifecycle.js';
import { inspectDevice } from '../ebs/rsync-transfer.js';
import { describeSnapshot } from '../ebs/snapshot.js';
import { describeVolume } from '../instance/volume.js';
import { OffsiteError, UsageError } from '../../errors.js';
import { phaseRunner } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { formatBytes } from '../../util/format.js';
import { mountReadOnlyRemote } from '../verify/volume-remote.js';
import { checkRestorable, readBackupTags, type TaggedBackup } from './backup-tags.js';
import { pullDdImage } from './ebs-dd.js';
import { pullMirror } from './ebs-rsync.js';
import type { EbsRestorePlan, RestoreResult } from './plan.js';
import { checkTarget, countTree, openStaging, type Staging } from './target.js';

/**
 * Restores an EBS backup made by offsite (a volume, or a snapshot of one) into TARGET through a temporary
 * instance, with the backup's lifecycle: same tags, ledger and clean-up. The backup is only read; the restore
 * lands in a staging directory beside TARGET and moves into place only once the source is proved.
 */
export async function runEbsRestore(plan: EbsRestorePlan, deps: LifecycleDeps, control: RunControl): Promise<RestoreResult> {
  const { ec2, ledger } = deps;
  const { signal, emit } = control;
  const started = Date.now();
  const phase = phaseRunner(emit, signal);
  const life = new InstanceLifecycle(deps, control, plan);
  const sourceId = plan.source.kind === 'volume' ? plan.source.volumeId : plan.source.snapshotId;
  emit({ type: 'run-start', runId: ledger.runId, command: `restore ${plan.source.kind} ${sourceId}` });
  await checkTarget(plan.target, plan.overwrite);
  let staging: Staging | undefined;
  try {
    // What the tags say, and where the instance must run, before anything is created.
    let tags: Tag[] | undefined;
    let zone: string | undefined;
    if (plan.source.kind === 'volume') {
      const volume = await phase('volume-check', `Check ${sourceId}`, () => describeVolume(ec2, sourceId));
      if (volume.State !== 'available') {
        const where = volume.Attachments?.[0]?.InstanceId ? ` (attached to ${volume.Attachments[0].InstanceId})` : '';
        throw new UsageError(`volume is ${volume.State ?? 'in an unknown state'}${where}, not available`, { input: 'volume', value: sourceId });
      }
      tags = volume.Tags;
      zone = life.zoneForVolume(volume);
    } else {
      const snapshot = await phase('volume-check', `Check ${sourceId}`, () => describeSnapshot(ec2, sourceId));
      if (snapshot.State !== 'completed') throw new UsageError(`snapshot is ${snapshot.State ?? 'in an unknown state'}, not completed`, { input: 'snapshot', value: sourceId });
      tags = snapshot.Tags;
    }
    const backup = readBackupTags(tags);
    checkRestorable(sourceId, backup, plan.force);
    for (const doubt of backup.doubts) emit({ type: 'warning', message: `${sourceId}: ${doubt} (restoring anyway, as forced)` });
    emit({ type: 'log', message: `${sourceId} holds ${describeBackup(backup)}` });

    const placement = await life.choosePlacement(zone);
    const source = plan.source;
    const { session, transport, address, device } = await life.bringUp(
      placement,
      source.kind === 'volume'
        ? { volumeId: source.volumeId }
        : {
            create: (az) => ({
              title: `Create a temporary volume from ${source.snapshotId} in ${az}`,
              request: { sizeGiB: 0, snapshotId: source.snapshotId, availabilityZone: az, role: 'restore-source' },
              purpose: `temporary, from ${source.snapshotId}`,
            }),
          },
    );

    // The method comes from the tags or, for an untagged volume (--force), from what is on it.
    const content = backup.method === 'dd' ? undefined : await phase('inspect', `Inspect ${device}`, () => inspectDevice(session, device, signal));
    const fsType = content?.kind === 'filesystem' ? content.type : undefined;
    if (content && !fsType) {
      throw new OffsiteError(backup.method ? `${sourceId} is tagged as an rsync backup but holds no filesystem` : `${sourceId} has no offsite:method tag and no filesystem: nothing says how to restore it`);
    }
    const method = backup.method ?? 'rsync';
    if (!backup.method) emit({ type: 'log', message: `${sourceId} holds a ${fsType} filesystem: restoring it as an rsync mirror` });
    if (!plan.dryRun) staging = await openStaging(plan.target, emit);

    let listing: string[] | undefined;
    let proof: string;
    if (method === 'dd') {
      const bytes = backup.ddBytes!;
      const meter = new ProgressMeter('restore', emit, bytes);
      const verb = plan.dryRun ? 'List' : 'Extract';
      const pulled = await phase('restore', `${verb} ${formatBytes(bytes)} of ${device}, checking its SHA-256`, () =>
        pullDdImage({ transport, device, bytes, expectedSha256: backup.ddSha256, volume: sourceId, staging: staging?.dir, include: plan.include, meter, signal }),
      );
      listing = pulled.listing;
      proof = backup.ddSha256 ? `SHA-256 of the ${pulled.bytes}-byte image matches offsite:dd-sha256` : 'none (no offsite:dd-sha256 tag; forced)';
    } else {
      const mountPoint = `/mnt/offsite-restore-${ledger.runId}`;
      const unmountNow = await life.holdMount(session, address, device, mountPoint, `Mount ${device} read-only at ${mountPoint}`, () =>
        mountReadOnlyRemote(session, device, mountPoint, fsType ?? 'auto', signal),
      );
      const into = staging?.dir ?? plan.target;
      const pulled = await pullMirror({ transport, mountPoint, staging: into, include: plan.include, emit, signal, dryRun: plan.dryRun, phase });
      listing = pulled.listing;
      await unmountNow();
      proof = 'every file compared with the volume by checksum (rsync -c)';
    }

    let counts = { files: listing?.length ?? 0, bytes: 0 };
    if (staging) {
      counts = await countTree(staging.dir);
      await phase('promote', `Move the restored tree into ${plan.target}`, () => staging!.promote());
    }
    return {
      source: sourceId,
      target: plan.target,
      method,
      dryRun: plan.dryRun,
      files: counts.files,
      bytes: counts.bytes,
      verified: plan.dryRun ? 0 : counts.files,
      skipped: 0,
      proof,
      elapsedMs: Date.now() - started,
      ...(listing ? { entries: listing } : {}),
    };
  } catch (error) {
    await staging?.discard().catch((cleanupError: unknown) => emit({ type: 'warning', message: `could not remove ${staging!.dir}: ${String(cleanupError)}` }));
    throw error;
  } finally {
    await life.finish(true);
  }

}

function describeBackup(backup: TaggedBackup): string {
  const what = backup.method === 'dd' ? `a dd image of ${formatBytes(backup.ddBytes ?? 0)}` : backup.method === 'rsync' ? 'an rsync mirror' : 'a backup of unknown method';
  return `${what}${backup.source ? ` of ${backup.source}` : ''}${backup.time ? ` from ${backup.time}` : ''}`;
}
