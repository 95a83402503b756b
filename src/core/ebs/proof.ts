import { DeleteTagsCommand, type EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.js';
import { OffsiteError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { TAG_STATE, TAG_STATE_RUN } from '../instance/tags.js';
import { describeVolume, tagVolume } from '../instance/volume.js';

/**
 * The proof a volume carries follows its data: while a run writes, the volume says so and holds no proof;
 * the proof (method, source, dd length and SHA-256) is written only once the data was verified.
 */
export type BackupState = 'in-progress' | 'complete' | 'inconsistent';

/** Tags that vouch for the data on the volume; stale the moment a new write begins. */
export const PROOF_TAGS = ['offsite:last-backup', 'offsite:method', 'offsite:source', 'offsite:dd-bytes', 'offsite:dd-sha256'] as const;

export function tagsOf(resource: { Tags?: Tag[] }): Record<string, string> {
  return Object.fromEntries((resource.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** Before the first byte is written: the old proof goes, the volume says a backup is under way. */
export async function markInProgress(ec2: EC2Client, volumeId: string, runId: string): Promise<void> {
  await aws(`removing the old proof tags of ${volumeId}`, () =>
    ec2.send(new DeleteTagsCommand({ Resources: [volumeId], Tags: PROOF_TAGS.map((Key) => ({ Key })) })),
  );
  await tagVolume(ec2, volumeId, [
    { Key: TAG_STATE, Value: 'in-progress' },
    { Key: TAG_STATE_RUN, Value: runId },
  ]);
}

export interface BackupProof {
  runId: string;
  method: string;
  source: string;
  /** dd: the tar stream's length and SHA-256, proved against the device. */
  dd?: { bytes: number; sha256: string };
  /** False when files changed while they were read and the user accepted it: never a good backup. */
  consistent: boolean;
}

/** After verification: the new proof, and the state that says whether it is a good backup. */
export async function writeProof(ec2: EC2Client, volumeId: string, proof: BackupProof): Promise<void> {
  const tags: Tag[] = [
    { Key: 'offsite:last-backup', Value: new Date().toISOString() },
    { Key: 'offsite:method', Value: proof.method },
    { Key: 'offsite:source', Value: proof.source.slice(0, 255) },
    ...(proof.dd ? [{ Key: 'offsite:dd-bytes', Value: String(proof.dd.bytes) }, { Key: 'offsite:dd-sha256', Value: proof.dd.sha256 }] : []),
    { Key: TAG_STATE, Value: proof.consistent ? 'complete' : 'inconsistent' },
    { Key: TAG_STATE_RUN, Value: proof.runId },
  ];
  await tagVolume(ec2, volumeId, tags);
}

/**
 * Whether the volume's tags prove a finished backup: state complete, or (volumes written before the state tag
 * existed) proof tags with no state at all. A dd proof needs both its length and its digest.
 */
export function holdsCompletedBackup(tags: Record<string, string>): boolean {
  const state = tags[TAG_STATE];
  if (state !== undefined && state !== 'complete') return false;
  const method = tags['offsite:method'];
  if (method === 'rsync') return Boolean(tags['offsite:last-backup']);
  if (method === 'dd') return /^\d+$/.test(tags['offsite:dd-bytes'] ?? '') && /^[0-9a-f]{64}$/.test(tags['offsite:dd-sha256'] ?? '');
  return false;
}

/**
 * A volume whose last write never finished holds nothing to verify: that is "incomplete" (exit 3), not a failure
 * of the verification itself.
 */
export async function refuseUnfinishedBackup(ec2: EC2Client, volumeId: string): Promise<void> {
  const tags = tagsOf(await describeVolume(ec2, volumeId));
  const state = tags[TAG_STATE];
  if (state === 'in-progress') {
    throw new OffsiteError(
      `${volumeId}: its last backup (run ${tags[TAG_STATE_RUN] ?? 'unknown'}) never finished; the volume holds an incomplete copy and no proof`,
      ExitCode.differences,
    );
  }
}
