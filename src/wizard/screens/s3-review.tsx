import { Box, Text, useInput } from 'ink';
import { formatBytes } from '../../util/format.js';
import { commandLine, s3Argv, type S3Answers } from '../answers.js';

/** Rough S3 Standard price (us-east-1, 2026) for the estimate. */
const S3_STANDARD_PER_GIB_MONTH = 0.023;

export function S3ReviewScreen(props: { answers: S3Answers; dirBytes: number; files: number; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const argv = s3Argv(props.answers);
  useInput((_input, key) => {
    if (key.return) props.onConfirm(argv);
    else if (key.escape) props.onBack();
  });
  const gib = props.dirBytes / 2 ** 30;
  return (
    <Box flexDirection="column">
      <Text bold>Review</Text>
      <Text>{`  1. hash the ${props.files} files of ${props.answers.dir} (${formatBytes(props.dirBytes)}) and skip those already stored unchanged`}</Text>
      <Text>{`  2. upload the rest to a staging area in the bucket, with checksums, and read each one back`}</Text>
      <Text>{`  3. only then copy them into place under ${props.answers.destination}; nothing stored is removed or replaced before that`}</Text>
      <Text>{`  cost: about $${Math.max(0.01, gib * S3_STANDARD_PER_GIB_MONTH).toFixed(2)} per month in S3 Standard, plus requests`}</Text>
      <Text> </Text>
      <Text>The same store from a script:</Text>
      <Text color="green">{`  ${commandLine(argv)}`}</Text>
      <Text> </Text>
      <Text dimColor>Enter starts, Esc goes back</Text>
    </Box>
  );
}
