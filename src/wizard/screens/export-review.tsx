import { Box, Text, useInput } from 'ink';
import { commandLine, exportArgv, type ExportAnswers } from '../answers.js';
import { TypedConfirmation } from '../components/typed-confirmation.js';

/** The export job's steps and command; formatting a device needs its name typed back. */
export function ExportReviewScreen(props: { answers: ExportAnswers; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { answers } = props;
  const argv = exportArgv(answers);
  useInput(
    (_input, key) => {
      if (key.return) props.onConfirm(argv);
      else if (key.escape) props.onBack();
    },
    { isActive: !answers.device },
  );
  const steps = answers.device
    ? [
        `check ${answers.manifest} and have the service validate the job`,
        `ERASE ${answers.device}: a GPT partition, an ext4 filesystem`,
        'create the export job and write its SIGNATURE file onto the device, then unmount it',
      ]
    : [`check ${answers.manifest} and have the service validate the job (ValidateOnly): no job, no disk touched`];
  return (
    <Box flexDirection="column">
      <Text bold>Review</Text>
      {steps.map((step, i) => (
        <Text key={i}>{`  ${i + 1}. ${step}`}</Text>
      ))}
      <Text dimColor>  The classic Import/Export service is retired and Snowball is closed to new customers.</Text>
      <Text> </Text>
      <Text>The same from a script:</Text>
      <Text color="green">{`  ${commandLine(argv)}`}</Text>
      <Text> </Text>
      {answers.device ? (
        <TypedConfirmation prompt={`This erases ${answers.device}. Type its name to confirm:`} expected={answers.device} onConfirm={() => props.onConfirm(argv)} onBack={props.onBack} />
      ) : (
        <Text dimColor>Enter validates, Esc goes back</Text>
      )}
    </Box>
  );
}
