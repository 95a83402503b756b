import type { ArchiveProfile } from './profile.js';
import { readProfile } from './read-profile.js';

/** What `offsite archive` will do with a profile, in the order it does it, as lines a person reads. Read-only. */
export function outlineArchive(profile: ArchiveProfile): string[] {
  const { source, dar } = profile;
  const snapshot =
    source.type === 'lvm'
      ? `snapshot the LVM volume ${source.volumeGroup}/${source.logicalVolume} (${source.snapshotName}, ${source.snapshotSize}) and mount it read-only`
      : source.type === 'btrfs'
        ? `snapshot the btrfs subvolume ${source.subvolume} into ${source.snapshotDir}/${source.snapshotName}`
        : `read ${source.root} as it is (no snapshot)`;
  return [
    snapshot,
    ...(profile.bindMounts.length > 0 ? [`bind-mount ${profile.bindMounts.join(', ')} into it`] : []),
    `dar ${profile.subdirs.length > 0 ? profile.subdirs.join(', ') : 'the whole tree'} into ${profile.target}/YYYY-MM as ${profile.archivePrefix}…: a full archive for a new month, else an incremental on the last one`,
    ...(dar.test ? ['test the archive (dar -t)'] : []),
    ...(dar.isolate ? ['isolate its catalogue beside it (dar -C)'] : []),
    ...(profile.rsync ? [`mirror the tree to ${profile.rsync.targetDir} with rsync${profile.rsync.delete ? ' --delete' : ''}`] : []),
    source.type === 'none' ? 'nothing to release' : 'unmount and remove the snapshot, also on failure or Ctrl-C',
  ];
}

/** Reads and checks a profile file; its outline, or throws the profile's error with its line. */
export async function readArchiveOutline(file: string): Promise<{ steps: string[]; warnings: string[] }> {
  const profile = await readProfile(file);
  return { steps: outlineArchive(profile), warnings: profile.warnings };
}
