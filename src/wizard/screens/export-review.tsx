import { exportArgv, type ExportAnswers } from '../answers.js';
import { CommandReview } from '../components/command-review.js';

/** The export job's steps and command; formatting a device needs its name typed back. */
export function ExportReviewScreen(props: { answers: ExportAnswers; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { answers } = props;
  const argv = exportArgv(answers);
  const steps = answers.device
    ? [
        `check ${answers.manifest} and have the service validate the job`,
        `ERASE ${answers.device}: a GPT partition, an ext4 filesystem`,
        'create the export job and write its SIGNATURE file onto the device, then unmount it',
      ]
    : [`check ${answers.manifest} and have the service validate the job (ValidateOnly): no job, no disk touched`];
  return (
    <CommandReview
      steps={steps}
      notes={['The classic Import/Export service is retired and Snowball is closed to new customers.']}
      scriptLabel="The same from a script:"
      argv={argv}
      enterDoes="validates"
      {...(answers.device ? { typedConfirmation: { prompt: `This erases ${answers.device}. Type its name to confirm:`, expected: answers.device } } : {})}
      onConfirm={props.onConfirm}
      onBack={props.onBack}
    />
  );
}
