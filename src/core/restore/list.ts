import { DescribeSnapshotsCommand, DescribeVolumesCommand, type EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.js';
import { readBackupTags } from './backup-tags.js';

/** One backup `offsite restore` can read: a volume or a snapshot carrying offsite's proof tags. */
export interface RestorableEntry {
  kind: 'volume' | 'snapshot';
  id: string;
  /** host:dir the backup was made of. */
  source: string;
  method: string;
  /** When the backup finished (offsite:last-backup). */
  time: string;
  sizeGiB: number;
  /** offsite:state, or `untagged` for backups made before the tag existed. */
  state: string;
  /** The tags vouch for it: restorable without --force. */
  restorable: boolean;
  /** Volume: its Availability Zone and whether it is free to attach; snapshot: the volume it was taken of. */
  detail: string;
}

const HAS_METHOD = [{ Name: 'tag-key', Values: ['offsite:method'] }];

/** Every volume and (own) snapshot tagged offsite:method, newest backup first. */
export async function listRestorable(ec2: EC2Client): Promise<RestorableEntry[]> {
  const [volumes, snapshots] = await Promise.all([
    aws('listing backup volumes', () => ec2.send(new DescribeVolumesCommand({ Filters: HAS_METHOD }))),
    aws('listing backup snapshots', () => ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: HAS_METHOD }))),
  ]);
  const entry = (kind: RestorableEntry['kind'], id: string, tags: Tag[] | undefined, sizeGiB: number, detail: string): RestorableEntry => {
    const backup = readBackupTags(tags);
    return {
      kind,
      id,
      source: backup.source ?? '?',
      method: backup.method ?? '?',
      time: backup.time ?? '?',
      sizeGiB,
      state: backup.state ?? 'untagged',
      restorable: backup.doubts.length === 0,
      detail,
    };
  };
  return [
    ...(volumes.Volumes ?? []).map((v) => entry('volume', v.VolumeId ?? '?', v.Tags, v.Size ?? 0, `${v.AvailabilityZone ?? '?'}, ${v.State ?? '?'}`)),
    ...(snapshots.Snapshots ?? []).map((s) => entry('snapshot', s.SnapshotId ?? '?', s.Tags, s.VolumeSize ?? 0, `of ${s.VolumeId ?? '?'}, ${s.State ?? '?'}`)),
  ].sort((a, b) => b.time.localeCompare(a.time) || a.id.localeCompare(b.id));
}
