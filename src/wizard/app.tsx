import { Box, Text, useApp, useInput } from 'ink';
import { useState } from 'react';
import { volumeSizeFor, type DirMeasure } from '../core/ebs/source-dir.js';
import type { EbsAnswers } from './answers.js';
import { DirectoryScreen } from './screens/directory.js';
import { ModeScreen, type WizardMode } from './screens/mode.js';
import { ReviewScreen } from './screens/review.js';
import { VolumeScreen } from './screens/volume.js';
import type { WizardServices } from './services.js';

type Step =
  | { name: 'mode' }
  | { name: 'directory'; mode: WizardMode }
  | { name: 'volume'; mode: WizardMode; dir: string; measure: DirMeasure }
  | { name: 'review'; mode: WizardMode; dir: string; measure: DirMeasure; answers: EbsAnswers };

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
      {step.name === 'mode' ? <ModeScreen onSelect={(mode) => setStep({ name: 'directory', mode })} /> : null}
      {step.name === 'directory' ? (
        <DirectoryScreen
          services={props.services}
          onBack={() => setStep({ name: 'mode' })}
          onDone={(dir, measure) => setStep({ name: 'volume', mode: step.mode, dir, measure })}
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
