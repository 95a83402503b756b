import { Box, Text } from 'ink';
import { useState } from 'react';
import { TextInput } from './text-input.js';

/** A destructive step goes ahead only when the operator types back exactly `expected` (a volume id, a device). */
export function TypedConfirmation(props: { prompt: string; expected: string; onConfirm: () => void; onBack: () => void }) {
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | undefined>();
  return (
    <Box flexDirection="column">
      <Text color="yellow">{props.prompt}</Text>
      <TextInput
        value={typed}
        onChange={(v) => (setTyped(v), setError(undefined))}
        onSubmit={(v) => (v.trim() === props.expected ? props.onConfirm() : setError(`that is not ${props.expected}`))}
        onBack={props.onBack}
      />
      {error ? <Text color="red">{error}</Text> : null}
    </Box>
  );
}
