import { asS3Url } from '../s3-input.js';
import { ArchiveReviewScreen } from '../screens/archive-review.js';
import { ChoiceScreen } from '../screens/choice.js';
import { PathScreen } from '../screens/path.js';
import { S3DestinationScreen } from '../screens/s3-destination.js';
import { VerifyReviewScreen } from '../screens/verify-review.js';
import { VolumeScreen } from '../screens/volume.js';
import { absolutePath } from '../services.js';
import type { Flow } from './nav.js';
import { samplingScreen } from './verify-sampling.js';

/** Verify (a local copy against S3, a volume against its directory) and archive (a profile, its plan, --noop first). */
export const verifyArchiveFlow: Flow = (step, nav) => {
  const { services, aws } = nav;
  const complete = (files: boolean) => (partial: string) => services.complete(partial, { files });
  switch (step.name) {
    case 'verify-kind':
      return (
        <ChoiceScreen<'s3' | 'volume'>
          title="Verify what?"
          memory="verify-kind"
          choices={[
            { value: 's3', label: 'A directory, disk or disk image against S3', hint: 'what offsite s3 stored, or a disk an export job returned' },
            { value: 'volume', label: 'An EBS volume against its source directory', hint: 'what offsite ebs wrote (dd or rsync)' },
          ]}
          onBack={nav.back}
          onDone={(kind) => nav.go(kind === 's3' ? { name: 'verify-source' } : { name: 'verify-volume' })}
        />
      );
    case 'verify-source':
      return (
        <PathScreen
          title="Which directory, disk or image?"
          help="a directory, a block device or an image file — Tab completes, Enter checks it, Esc goes back"
          draftKey="verify-source"
          complete={complete(true)}
          check={async (value) => (value ? services.checkVerifySource?.(value) : 'type the directory, disk or image to verify')}
          onBack={nav.back}
          onDone={(source) => nav.go({ name: 'verify-bucket', source: absolutePath(source) })}
        />
      );
    case 'verify-bucket':
      return (
        <S3DestinationScreen
          services={services}
          aws={aws}
          title="Against which S3 prefix?"
          draftKey="verify-bucket"
          onBack={nav.back}
          onDone={(url) => nav.go({ name: 'verify-sample', answers: { against: 's3', source: step.source, bucket: asS3Url(url), aws } })}
        />
      );
    case 'verify-volume':
      return <VolumeScreen services={services} aws={aws} title="Which volume?" onBack={nav.back} onDone={(answer) => answer.kind === 'existing' && nav.go({ name: 'verify-dir', volumeId: answer.volume.id })} />;
    case 'verify-dir':
      return (
        <PathScreen
          title={`Which directory did ${step.volumeId} back up?`}
          help="the source directory — Tab completes, Enter checks it, Esc goes back"
          draftKey="verify-dir"
          complete={complete(false)}
          check={async (value) => (value ? services.checkDir(value) : 'type the directory the volume holds')}
          onBack={nav.back}
          onDone={(dir) => nav.go({ name: 'verify-sample', answers: { against: 'volume', dir: absolutePath(dir).replace(/(.)\/+$/, '$1'), volumeId: step.volumeId, aws } })}
        />
      );
    case 'verify-sample':
    case 'verify-sample-size':
    case 'verify-seed':
    case 'verify-download':
    case 'verify-forks':
      return samplingScreen(step, nav);
    case 'verify-review':
      return <VerifyReviewScreen answers={step.answers} onBack={nav.back} onConfirm={nav.finish} />;
    case 'archive-profile':
      return (
        <PathScreen
          title="Which archive profile?"
          help="a profile .ini ([backup], [lvm] or [btrfs], [dar]) — Tab completes, Enter reads it, Esc goes back"
          draftKey="archive-profile"
          placeholder="/etc/offsite/host.ini"
          complete={complete(true)}
          check={async (value) => {
            if (!value) return 'type the path of the profile';
            const outline = await services.outlineArchive?.(value);
            return outline && 'problem' in outline ? outline.problem : undefined;
          }}
          onBack={nav.back}
          onDone={(profile) => nav.go({ name: 'archive-review', profile: absolutePath(profile) })}
        />
      );
    case 'archive-review':
      return <ArchiveReviewScreen services={services} profile={step.profile} onBack={nav.back} onConfirm={nav.finish} />;
    default:
      return undefined;
  }
};
