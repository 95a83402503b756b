import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { btrfsSource } from './btrfs.js';
import { lvmSource } from './lvm.js';
import type { PlainSource } from './profile.js';
import type { SnapshotSource, SourceContext } from './snapshot-source.js';

export function makeSource(context: SourceContext): SnapshotSource {
  const { source } = context.profile;
  if (source.type === 'lvm') return lvmSource(source, context);
  if (source.type === 'btrfs') return btrfsSource(source, context);
  return plainSource(source, context);
}

/** No snapshot: the directory is archived live (dar reports files that changed while it read them). */
function plainSource(source: PlainSource, context: SourceContext): SnapshotSource {
  const { shell, profile } = context;
  return {
    description: `directory ${source.root} (no snapshot)`,
    check: async () => {
      if (!(await shell.runner.exists(source.root))) {
        throw new UsageError(`${profile.file}:${profile.lines['backup.source_root']}: [backup] source_root: ${source.root} does not exist`);
      }
    },
    cleanStale: async () => undefined,
    open: async () => source.root,
    verify: async () => undefined,
    withWritable: async (_signal, work) => work(),
    livePath: async (rel) => join(source.root, rel),
  };
}
