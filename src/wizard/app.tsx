import { Box, Text, useApp, useInput } from 'ink';
import { useState } from 'react';
import { volumeSizeFor, type DirMeasure } from '../core/ebs/source-dir.js';
import type { EbsAnswers, RestoreAnswers } from './answers.js';
import { parseS3Url } from '../core/s3/url.js';
import { PathScreen, RestoreReviewScreen, RestoreSourceScreen } from './screens/restore.js';
import { DirectoryScreen } from './screens/directory.js';
import { ExportDeviceScreen } from './screens/export-device.js';
import { ExportManifestScreen } from './screens/export-manifest.js';
import { ExportReviewScreen } from './screens/export-review.js';
import { ModeScreen, type WizardMode } from './screens/mode.js';
import { ReviewScreen } from './screens/review.js';
import { S3DestinationScreen } from './screens/s3-destination.js';
import { S3ReviewScreen } from './screens/s3-review.js';
import { VolumeScreen } from './screens/volume.js';
import type { WizardServices } from './services.js';

type EbsMode = Extract<WizardMode, { kind: 'ebs' }>;

type Step =
  | { name: 'mode' }
  | { name: 'directory'; mode: WizardMode }
  | { name: 'export-manifest' }
  | { name: 'export-device'; manifest: string }
  | { name: 'export-review'; manifest: string; device: string | undefined }
  | { name: 's3-destination'; dir: string; measure: DirMeasure }
  | { name: 's3-review'; dir: string; measure: DirMeasure; destination: string }
  | { name: 'volume'; mode: EbsMode; dir: string; measure: DirMeasure }
  | { name: 'review'; mode: EbsMode; dir: string; measure: DirMeasure; answers: EbsAnswers }
  | { name: 'restore-source' }
  | { name: 'restore-location'; kind: 's3' | 'archive' }
  | { name: 'restore-target'; source: RestoreAnswers['source'] }
  | { name: 'restore-review'; answers: RestoreAnswers };

/** The outcome: the argv of the command to run, or nothing (the operator quit). */
export type WizardOutcome = { argv: string[] } | { quit: true };

/** Walks one job from mode to review; it only builds the command line, it runs nothing. */
export function WizardApp(props: { services: WizardServices; onDone: (outcome: WizardOutcome) => void }) {
  const { exit } = useApp();
  const [step, setStep] = useState<Step>({ name: 'mode' });
  const finish = (outcome: WizardOutcome): void => {
    props.onDone(outcome);
    exit();
  };
  useInput((input, key) => {
    if (key.ctrl && input === 'c') finish({ quit: true });
  });
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text color="cyan" bold>
        offsite
      </Text>
      <Text> </Text>
      {step.name === 'mode' ? (
        <ModeScreen
          onSelect={(mode) =>
            // Listing only: removing is a deliberate `offsite cleanup --yes` the listing names.
            mode.kind === 'cleanup'
              ? finish({ argv: ['cleanup'] })
              : setStep(mode.kind === 'export' ? { name: 'export-manifest' } : mode.kind === 'restore' ? { name: 'restore-source' } : { name: 'directory', mode })
          }
        />
      ) : null}
      {step.name === 'export-manifest' ? (
        <ExportManifestScreen services={props.services} onBack={() => setStep({ name: 'mode' })} onDone={(manifest) => setStep({ name: 'export-device', manifest })} />
      ) : null}
      {step.name === 'export-device' ? (
        <ExportDeviceScreen
          services={props.services}
          onBack={() => setStep({ name: 'export-manifest' })}
          onDone={(device) => setStep({ name: 'export-review', manifest: step.manifest, device })}
        />
      ) : null}
      {step.name === 'export-review' ? (
        <ExportReviewScreen
          answers={{ manifest: step.manifest, ...(step.device ? { device: step.device } : {}) }}
          onBack={() => setStep({ name: 'export-device', manifest: step.manifest })}
          onConfirm={(argv) => finish({ argv })}
        />
      ) : null}
      {step.name === 'directory' ? (
        <DirectoryScreen
          services={props.services}
          onBack={() => setStep({ name: 'mode' })}
          onDone={(dir, measure) =>
            setStep(step.mode.kind === 'ebs' ? { name: 'volume', mode: step.mode, dir, measure } : { name: 's3-destination', dir, measure })
          }
        />
      ) : null}
      {step.name === 'volume' ? (
        <VolumeScreen
          services={props.services}
          neededGiB={volumeSizeFor(step.measure.bytes)}
          onBack={() => setStep({ name: 'directory', mode: step.mode })}
          onDone={(answer) =>
            setStep({
              ...step,
              name: 'review',
              answers: {
                method: step.mode.method,
                dir: step.dir,
                ...(answer.kind === 'existing' ? { volumeId: answer.volume.id } : { sizeGiB: answer.sizeGiB }),
              },
            })
          }
        />
      ) : null}
      {step.name === 's3-destination' ? (
        <S3DestinationScreen
          onBack={() => setStep({ name: 'directory', mode: { kind: 's3' } })}
          onDone={(destination) => setStep({ ...step, name: 's3-review', destination })}
        />
      ) : null}
      {step.name === 's3-review' ? (
        <S3ReviewScreen
          answers={{ dir: step.dir, destination: step.destination }}
          dirBytes={step.measure.bytes}
          files={step.measure.files}
          onBack={() => setStep({ name: 's3-destination', dir: step.dir, measure: step.measure })}
          onConfirm={(argv) => finish({ argv })}
        />
      ) : null}
      {step.name === 'restore-source' ? (
        <RestoreSourceScreen
          services={props.services}
          onBack={() => setStep({ name: 'mode' })}
          onDone={(pick) =>
            setStep(pick.kind === 'backup' ? { name: 'restore-target', source: { kind: pick.entry.kind, id: pick.entry.id } } : { name: 'restore-location', kind: pick.kind })
          }
        />
      ) : null}
      {step.name === 'restore-location' ? (
        <PathScreen
          title={step.kind === 's3' ? 'Which S3 prefix?' : 'Which archive directory?'}
          help={step.kind === 's3' ? 's3://bucket/prefix — Enter accepts, Esc goes back' : 'the monthly set (it holds backup_deps) — Tab completes, Enter accepts, Esc goes back'}
          initial={step.kind === 's3' ? 's3://' : ''}
          services={props.services}
          check={async (value) => {
            if (step.kind === 'archive') return value ? undefined : 'give the archive directory';
            try {
              parseS3Url(value, 'the S3 prefix');
              return undefined;
            } catch (error) {
              return (error as Error).message;
            }
          }}
          onBack={() => setStep({ name: 'restore-source' })}
          onDone={(value) => setStep({ name: 'restore-target', source: step.kind === 's3' ? { kind: 's3', url: value } : { kind: 'archive', id: value } })}
        />
      ) : null}
      {step.name === 'restore-target' ? (
        <PathScreen
          title="Restore into which directory?"
          help="empty or new (its parent must exist) — Tab completes, Enter accepts, Esc goes back"
          services={props.services}
          check={async (value) => (value ? (props.services.checkRestoreTarget?.(value) ?? undefined) : 'give a target directory')}
          onBack={() => setStep({ name: 'restore-source' })}
          onDone={(target) => setStep({ name: 'restore-review', answers: { source: step.source, target } })}
        />
      ) : null}
      {step.name === 'restore-review' ? (
        <RestoreReviewScreen answers={step.answers} onBack={() => setStep({ name: 'restore-target', source: step.answers.source })} onConfirm={(argv) => finish({ argv })} />
      ) : null}
      {step.name === 'review' ? (
        <ReviewScreen
          answers={step.answers}
          dirBytes={step.measure.bytes}
          onBack={() => setStep({ name: 'volume', mode: step.mode, dir: step.dir, measure: step.measure })}
          onConfirm={(argv) => finish({ argv })}
        />
      ) : null}
    </Box>
  );
}
