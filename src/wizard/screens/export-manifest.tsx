import { Box, Text } from 'ink';
import { useState } from 'react';
import { TextInput } from '../components/text-input.js';
import { useDraft } from '../draft.js';
import { absolutePath, type WizardServices } from '../services.js';

/** The export manifest: picked with Tab completion and validated on the spot (errors carry their line numbers). */
export function ExportManifestScreen(props: { services: WizardServices; title?: string; onDone: (path: string) => void; onBack: () => void }) {
  const [value, setValue] = useDraft('export-manifest', '');
  const [error, setError] = useState<string | undefined>();
  const submit = async (typed: string): Promise<void> => {
    if (!typed.trim()) return setError('type the path of the export manifest (YAML)');
    const path = absolutePath(typed);
    const problem = await props.services.checkManifest(path);
    if (problem) return setError(problem);
    props.onDone(path);
  };
  return (
    <Box flexDirection="column">
      <Text bold>{props.title ?? 'Which manifest?'}</Text>
      <TextInput
        value={value}
        onChange={(v) => (setValue(v), setError(undefined))}
        onSubmit={(v) => void submit(v)}
        onBack={props.onBack}
        complete={(partial) => props.services.complete(partial, { files: true })}
        placeholder="manifest.yml"
      />
      {error ? <Text color="red">{error}</Text> : null}
      <Text dimColor>Tab completes, Enter checks the manifest, Esc goes back</Text>
    </Box>
  );
}
