import { Box, Text } from 'ink';
import { useState } from 'react';
import { TextInput } from '../components/text-input.js';
import { useDraft } from '../draft.js';
import type { Completion } from '../complete.js';

/** One path or URL, checked when Enter is pressed (`check` returns why it cannot be used) before the wizard moves on. */
export function PathScreen(props: {
  title: string;
  help: string;
  /** Keeps what was typed for a return visit (Esc from the next screen). */
  draftKey: string;
  placeholder?: string;
  /** Tab completion (paths); none for URLs. */
  complete?: (partial: string) => Promise<Completion>;
  check: (value: string) => Promise<string | undefined>;
  onDone: (value: string) => void;
  onBack: () => void;
}) {
  const [value, setValue] = useDraft(props.draftKey, '');
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);
  const submit = (raw: string): void => {
    const trimmed = raw.trim();
    setChecking(true);
    void props.check(trimmed).then((problem) => {
      setChecking(false);
      if (problem) setError(problem);
      else props.onDone(trimmed);
    });
  };
  return (
    <Box flexDirection="column">
      <Text bold>{props.title}</Text>
      <TextInput
        value={value}
        onChange={(v) => (setValue(v), setError(undefined))}
        onSubmit={submit}
        onBack={props.onBack}
        {...(props.complete ? { complete: props.complete } : {})}
        {...(props.placeholder ? { placeholder: props.placeholder } : {})}
      />
      {checking ? <Text dimColor>checking …</Text> : null}
      {error ? <Text color="red">{error}</Text> : null}
      <Text dimColor>{props.help}</Text>
    </Box>
  );
}
