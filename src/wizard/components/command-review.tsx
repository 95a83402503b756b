import { Box, Text, useInput } from 'ink';
import { commandLine } from '../answers.js';
import { TypedConfirmation } from './typed-confirmation.js';

/**
 * A review screen's frame: the numbered steps, the exact non-interactive command line, then Enter (or, for a
 * destructive step, the name typed back) runs it and Esc goes back.
 */
export function CommandReview(props: {
  steps: string[];
  notes?: string[];
  /** "The same backup from a script:" */
  scriptLabel: string;
  argv: string[];
  /** Enter starts (the footer's verb). */
  enterDoes: string;
  typedConfirmation?: { prompt: string; expected: string };
  onConfirm: (argv: string[]) => void;
  onBack: () => void;
}) {
  const { argv, typedConfirmation } = props;
  useInput(
    (_input, key) => {
      if (key.return) props.onConfirm(argv);
      else if (key.escape) props.onBack();
    },
    { isActive: !typedConfirmation },
  );
  return (
    <Box flexDirection="column">
      <Text bold>Review</Text>
      {props.steps.map((step, i) => (
        <Text key={i}>{`  ${i + 1}. ${step}`}</Text>
      ))}
      {(props.notes ?? []).map((note, i) => (
        <Text key={`n${i}`}>{`  ${note}`}</Text>
      ))}
      <Text> </Text>
      <Text>{props.scriptLabel}</Text>
      <Text color="green">{`  ${commandLine(argv)}`}</Text>
      <Text> </Text>
      {typedConfirmation ? (
        <TypedConfirmation prompt={typedConfirmation.prompt} expected={typedConfirmation.expected} onConfirm={() => props.onConfirm(argv)} onBack={props.onBack} />
      ) : (
        <Text dimColor>{`Enter ${props.enterDoes}, Esc goes back`}</Text>
      )}
    </Box>
  );
}
