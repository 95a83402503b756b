import type { Volume } from '@aws-sdk/client-ec2';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { deviceSha256 } from '../ebs/dd-transfer.js';
import { InstanceLifecycle, type LifecycleDeps } from '../instance/lifecycle.js';
import { inspectDevice } from '../ebs/rsync-transfer.js';
import { describeVolume } from '../instance/volume.js';
import { OffsiteError, UsageError } from '../../errors.js';
import { phaseRunner } from '../phases.js';
import { ProgressMeter } from '../progress.js';
import type { RunControl } from '../run-control.js';
import { formatBytes } from '../../util/format.js';
import type { SshSession } from '../../ssh/types.js';
import { compareTree, type FileChecker } from './compare-tree.js';
import { hashFile } from '../checksums/file-hash.js';
import type { BackupCheck, FileVerdict, VerifyReport, VerifyVolumePlan } from './plan.js';
import { buildReport } from './report.js';
import { describeSample } from './sample.js';
import { hashMirrorFiles, hashTarMembers, listMirror, listTarImage, mountReadOnlyRemote, type RemoteEntry } from './volume-remote.js';
import { errorText } from './walk.js';

/** What offsite's EBS backup wrote on the volume, from its tags. */
export type VolumeBackup = { method: 'rsync' } | { method: 'dd'; bytes: number; sha256: string };

export function backupFromTags(volume: Volume): VolumeBackup {
  const tags = Object.fromEntries((volume.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const id = volume.VolumeId ?? 'the volume';
  const method = tags['offsite:method'];
  if (method === 'rsync') return { method };
  if (method === 'dd') {
    const bytes = Number(tags['offsite:dd-bytes']);
    const sha256 = tags['offsite:dd-sha256'] ?? '';
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new UsageError('its offsite:dd-bytes/offsite:dd-sha256 tags are missing or malformed; the dd image cannot be checked', { input: 'volume', value: id });
    }
    return { method, bytes, sha256 };
  }
  throw new UsageError('no offsite:method tag (dd or rsync); only backups made by offsite can be verified', { input: 'volume', value: id });
}

const SAME_MIRROR = 'SHA-256 of the copy on the volume';
const SAME_MEMBER = 'SHA-256 of the tar member on the volume';
const BATCH = 64;

/**
 * Proves an EBS backup made by offsite against the local directory: the volume is attached to a temporary
 * instance through the same lifecycle as the backup (same tags, ledger and clean-up), and only read there —
 * a dd image through `head -c` of the raw device (its SHA-256 first, against the tag), an rsync mirror mounted
 * read-only without journal replay. Files are sampled as for S3 and hashed on both sides.
 */
export async function runVerifyVolume(plan: VerifyVolumePlan, deps: LifecycleDeps, control: RunControl): Promise<VerifyReport> {
  const { signal, emit } = control;
  const started = Date.now();
  const phase = phaseRunner(emit, signal);
  const life = new InstanceLifecycle(deps, control, plan);
  const runId = deps.ledger.runId;
  emit({ type: 'run-start', runId, command: `verify volume ${plan.volumeId}` });
  try {
    const volume = await phase('volume-check', `Check ${plan.volumeId}`, () => describeVolume(deps.ec2, plan.volumeId));
    if (volume.State !== 'available') {
      const where = volume.Attachments?.[0]?.InstanceId ? ` (attached to ${volume.Attachments[0].InstanceId})` : '';
      throw new UsageError(`volume is ${volume.State ?? 'in an unknown state'}${where}, not available`, { input: 'volume', value: plan.volumeId });
    }
    const backup = backupFromTags(volume);
    emit({ type: 'log', message: `${plan.volumeId} holds a ${backup.method} backup${backup.method === 'dd' ? ` of ${formatBytes(backup.bytes)}` : ''}` });
    const placement = await life.choosePlacement(life.zoneForVolume(volume));
    const { session, address, device } = await life.bringUp(placement, { volumeId: plan.volumeId });
    emit({ type: 'log', message: `comparing ${describeSample(plan.sample)} under ${plan.dir} with ${plan.volumeId} (seed ${plan.sample.seed})` });

    const meter = new ProgressMeter('compare', emit, undefined);
    const checks: BackupCheck[] = [];
    let remote: Promise<Map<string, RemoteEntry>>;
    let checker: FileChecker;
    let unmountNow: (() => Promise<void>) | undefined;
    if (backup.method === 'dd') {
      const image = await phase('image', `Check ${formatBytes(backup.bytes)} of ${device} against offsite:dd-sha256`, () => deviceSha256(session, device, backup.bytes, signal));
      checks.push({
        what: `the first ${backup.bytes} bytes of ${plan.volumeId} hash to its offsite:dd-sha256 tag`,
        ok: image === backup.sha256,
        ...(image === backup.sha256 ? {} : { detail: `SHA-256 ${image} on the volume, ${backup.sha256} in the tag` }),
      });
      remote = listTarImage(session, device, backup.bytes, signal);
      checker = ddChecker({ session, device, bytes: backup.bytes, remote, plan, meter, signal });
    } else {
      const content = await phase('inspect', `Inspect ${device}`, () => inspectDevice(session, device, signal));
      if (content.kind !== 'filesystem') throw new OffsiteError(`${plan.volumeId} is tagged as an rsync backup but holds no filesystem`);
      const mountPoint = `/mnt/offsite-verify-${runId}`;
      unmountNow = await life.holdMount(session, address, device, mountPoint, `Mount ${device} read-only at ${mountPoint}`, () =>
        mountReadOnlyRemote(session, device, mountPoint, content.type, signal),
      );
      remote = listMirror(session, mountPoint, signal);
      checker = mirrorChecker({ session, mountPoint, remote, plan, meter, signal });
    }
    const comparison = await compareTree({
      root: plan.dir,
      sample: plan.sample,
      forks: plan.forks,
      signal,
      emit,
      remote: remote.then((entries) => new Set(entries.keys())),
      checker,
      phase,
    });
    await unmountNow?.();
    meter.finish();
    return buildReport({
      source: plan.dir,
      target: `${plan.volumeId} (${backup.method} backup)`,
      root: plan.dir,
      sample: plan.sample,
      ...comparison,
      checks,
      warnings: [],
      missingOk: plan.missingOk,
      started,
    });
  } finally {
    await life.finish(true);
  }
}

interface RemoteSide {
  session: SshSession;
  remote: Promise<Map<string, RemoteEntry>>;
  plan: VerifyVolumePlan;
  meter: ProgressMeter;
  signal: AbortSignal;
}

type LocalHash = { size: number; sha256: string } | { error: string };

/** Local files are hashed as soon as they are chosen (`forks` at a time), while the volume is being read. */
function localHasher(side: RemoteSide): (path: string) => Promise<LocalHash> {
  const limit = pLimit(side.plan.forks);
  return (path) => handled(
    limit(async () => {
      try {
        const hashed = await hashFile(join(side.plan.dir, path), { whole: ['SHA256'] }, { signal: side.signal, onBytes: (n) => side.meter.add(n) });
        return { size: hashed.size, sha256: hashed.whole.SHA256!.toString('hex') };
      } catch (error) {
        if (side.signal.aborted) throw error;
        return { error: errorText(error) };
      }
    }),
  );
}

/** Marks a promise that is awaited later as handled, so a failure before then does not crash the process. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Size and SHA-256 of the local file against what the volume holds for it. */
function judge(path: string, local: LocalHash, entry: RemoteEntry | undefined, digest: string | undefined, remoteError: string | undefined, label: string): FileVerdict {
  const base = { path, remote: path };
  if ('error' in local) return { ...base, category: 'unreadable', side: 'local', evidence: [], reason: local.error };
  if (!entry) return { ...base, category: 'missing-remotely', size: local.size, evidence: [] };
  if (entry.size !== local.size) return { ...base, category: 'differ', size: local.size, evidence: ['size'], reason: `size differs: ${local.size} bytes here, ${entry.size} on the volume` };
  if (!digest) return { ...base, category: 'unreadable', side: 'remote', size: local.size, evidence: [], reason: remoteError ?? 'the volume gave no digest for it' };
  if (local.sha256 !== digest) return { ...base, category: 'differ', size: local.size, evidence: [label], reason: `${label} differs: ${local.sha256} here, ${digest} on the volume` };
  return { ...base, category: 'match', size: local.size, evidence: [label] };
}

/** Mirror: batches of files hashed on the instance, `forks` batches in flight. */
function mirrorChecker(side: RemoteSide & { mountPoint: string }): FileChecker {
  const hashLocal = localHasher(side);
  const limit = pLimit(side.plan.forks);
  const batches: Promise<FileVerdict[]>[] = [];
  let batch: { path: string; local: Promise<LocalHash> }[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    const chosen = batch;
    batch = [];
    batches.push(
      handled(limit(async () => {
        const entries = await side.remote;
        const present = chosen.map((c) => c.path).filter((p) => entries.has(p));
        const { digests, errors } = await hashMirrorFiles(side.session, side.mountPoint, present, side.signal);
        return Promise.all(chosen.map(async (c) => judge(c.path, await c.local, entries.get(c.path), digests.get(c.path), errors.find((e) => e.includes(c.path)), SAME_MIRROR)));
      })),
    );
  };
  return {
    add(path) {
      batch.push({ path, local: hashLocal(path) });
      if (batch.length >= BATCH) flush();
    },
    async done() {
      flush();
      return (await Promise.all(batches)).flat();
    },
  };
}

/** dd image: one pass of tar over the image hashes every chosen member, while the local files are hashed. */
function ddChecker(side: RemoteSide & { device: string; bytes: number }): FileChecker {
  const hashLocal = localHasher(side);
  const chosen: { path: string; local: Promise<LocalHash> }[] = [];
  return {
    add: (path) => void chosen.push({ path, local: hashLocal(path) }),
    async done() {
      const entries = await side.remote;
      // A hard link's bytes are its target member's.
      const member = (p: string): string | undefined => (entries.has(p) ? (entries.get(p)!.linkTo ?? p) : undefined);
      const wanted = [...new Set(chosen.flatMap((c) => member(c.path) ?? []))];
      const digests = await hashTarMembers(side.session, side.device, side.bytes, wanted, side.signal);
      return Promise.all(chosen.map(async (c) => judge(c.path, await c.local, entries.get(c.path), digests.get(member(c.path) ?? ''), undefined, SAME_MEMBER)));
    },
  };
}
