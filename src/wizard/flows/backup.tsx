import { volumeSizeFor } from '../../core/ebs/source-dir.js';
import { DirectoryScreen } from '../screens/directory.js';
import { ReviewScreen } from '../screens/review.js';
import { S3DestinationScreen } from '../screens/s3-destination.js';
import { S3ReviewScreen } from '../screens/s3-review.js';
import { VolumeScreen } from '../screens/volume.js';
import type { Flow } from './nav.js';

/** A directory onto an EBS volume (dd, rsync) or into S3. */
export const backupFlow: Flow = (step, nav) => {
  const { services, aws } = nav;
  switch (step.name) {
    case 'directory':
      return (
        <DirectoryScreen
          services={services}
          onBack={nav.back}
          onDone={(dir, measure) => nav.go(step.mode.kind === 'ebs' ? { name: 'volume', mode: step.mode, dir, measure } : { name: 's3-destination', dir, measure })}
        />
      );
    case 'volume':
      return (
        <VolumeScreen
          services={services}
          aws={aws}
          neededGiB={volumeSizeFor(step.measure.bytes)}
          onBack={nav.back}
          onDone={(answer) => nav.go({ ...step, name: 'review', volume: answer.kind === 'existing' ? { volumeId: answer.volume.id } : { sizeGiB: answer.sizeGiB } })}
        />
      );
    case 'review':
      return (
        <ReviewScreen
          answers={{ method: step.mode.method, dir: step.dir, ...step.volume, aws }}
          dirBytes={step.measure.bytes}
          onBack={nav.back}
          onConfirm={nav.finish}
        />
      );
    case 's3-destination':
      return <S3DestinationScreen services={services} aws={aws} onBack={nav.back} onDone={(destination) => nav.go({ ...step, name: 's3-review', destination })} />;
    case 's3-review':
      return (
        <S3ReviewScreen
          answers={{ dir: step.dir, destination: step.destination, aws }}
          dirBytes={step.measure.bytes}
          files={step.measure.files}
          onBack={nav.back}
          onConfirm={nav.finish}
        />
      );
    default:
      return undefined;
  }
};
