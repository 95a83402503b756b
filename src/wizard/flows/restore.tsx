import { PathScreen } from '../screens/path.js';
import { RestoreReviewScreen, RestoreSourceScreen } from '../screens/restore.js';
import { S3DestinationScreen } from '../screens/s3-destination.js';
import type { Flow } from './nav.js';

/** One backup (volume, snapshot, S3 prefix, dar set) into a directory. */
export const restoreFlow: Flow = (step, nav) => {
  const { services, aws } = nav;
  switch (step.name) {
    case 'restore-source':
      return (
        <RestoreSourceScreen
          services={services}
          aws={aws}
          onBack={nav.back}
          onDone={(pick) =>
            nav.go(pick.kind === 'backup' ? { name: 'restore-target', source: { kind: pick.entry.kind, id: pick.entry.id } } : { name: 'restore-location', kind: pick.kind })
          }
        />
      );
    case 'restore-location':
      return step.kind === 's3' ? (
        <S3DestinationScreen
          services={services}
          aws={aws}
          title="Which S3 prefix?"
          draftKey="restore-s3"
          onBack={nav.back}
          onDone={(url) => nav.go({ name: 'restore-target', source: { kind: 's3', url } })}
        />
      ) : (
        <PathScreen
          title="Which archive directory?"
          help="the monthly set (it holds backup_deps) — Tab completes, Enter accepts, Esc goes back"
          draftKey="restore-archive"
          complete={(p) => services.complete(p)}
          check={async (value) => (value ? undefined : 'give the archive directory')}
          onBack={nav.back}
          onDone={(id) => nav.go({ name: 'restore-target', source: { kind: 'archive', id } })}
        />
      );
    case 'restore-target':
      return (
        <PathScreen
          title="Restore into which directory?"
          help="empty or new (its parent must exist) — Tab completes, Enter accepts, Esc goes back"
          draftKey="restore-target"
          complete={(p) => services.complete(p)}
          check={async (value) => (value ? ((await services.checkRestoreTarget?.(value)) ?? undefined) : 'give a target directory')}
          onBack={nav.back}
          onDone={(target) => nav.go({ name: 'restore-review', answers: { source: step.source, target, aws } })}
        />
      );
    case 'restore-review':
      return <RestoreReviewScreen answers={step.answers} onBack={nav.back} onConfirm={nav.finish} />;
    default:
      return undefined;
  }
};
