import { Box, Text } from 'ink';
import { SelectList, type Choice } from '../components/select-list.js';

/** A question with a fixed list of answers (which job, which action): Enter chooses, Esc goes back. */
export function ChoiceScreen<T>(props: { title: string; choices: Choice<T>[]; memory: string; onDone: (value: T) => void; onBack: () => void; notes?: string[] }) {
  return (
    <Box flexDirection="column">
      <Text bold>{props.title}</Text>
      {(props.notes ?? []).map((note, i) => (
        <Text key={i} color="yellow">
          {note}
        </Text>
      ))}
      <SelectList choices={props.choices} onSelect={props.onDone} onBack={props.onBack} memory={props.memory} />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}
