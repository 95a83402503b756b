import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { DirMeasure } from '../../core/ebs/source-dir.js';
import { formatBytes } from '../../util/format.js';
import { TextInput } from '../components/text-input.js';
import { useDraft } from '../draft.js';
import { absolutePath, wizardMessage, type WizardServices } from '../services.js';

/** The directory to back up: typed with Tab completion, checked on Enter, its size measured as soon as it is valid. */
export function DirectoryScreen(props: {
  services: WizardServices;
  initial?: string;
  title?: string;
  draftKey?: string;
  onDone: (dir: string, measure: DirMeasure) => void;
  onBack: () => void;
}) {
  const [value, setValue] = useDraft(props.draftKey ?? 'directory', props.initial ?? '');
  const [error, setError] = useState<string | undefined>();
  const [measuring, setMeasuring] = useState<string | undefined>();
  const [measure, setMeasure] = useState<DirMeasure | undefined>();

  useEffect(() => {
    if (!measuring) return;
    let live = true;
    props.services.measure(measuring).then(
      (m) => live && setMeasure(m),
      (e: unknown) => live && (setError(wizardMessage(e)), setMeasuring(undefined)),
    );
    return () => {
      live = false;
    };
  }, [measuring]);

  useEffect(() => {
    if (measure && measuring) props.onDone(measuring, measure);
  }, [measure]);

  const submit = async (dir: string): Promise<void> => {
    if (!dir.trim()) return setError('type the directory to back up');
    const problem = await props.services.checkDir(dir);
    if (problem) return setError(problem);
    setError(undefined);
    // The command line on the review screen must work from any directory.
    setMeasuring(absolutePath(dir).replace(/(.)\/+$/, '$1'));
  };

  return (
    <Box flexDirection="column">
      <Text bold>{props.title ?? 'Which directory?'}</Text>
      <TextInput
        value={value}
        onChange={(v) => (setValue(v), setError(undefined))}
        onSubmit={(v) => void submit(v)}
        onBack={props.onBack}
        complete={props.services.complete}
        placeholder="/path/to/directory"
      />
      {error ? <Text color="red">{error}</Text> : null}
      {measuring && !measure ? <Text dimColor>measuring {measuring} …</Text> : null}
      {measure ? <Text>{`${measure.files} files, ${formatBytes(measure.bytes)}`}</Text> : null}
      <Text dimColor>Tab completes, Enter accepts, Esc goes back</Text>
    </Box>
  );
}
