import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { commandLine } from '../answers.js';
import { archiveArgv, type ArchiveAnswers } from '../job-answers.js';
import { SelectList } from '../components/select-list.js';
import type { WizardServices } from '../services.js';

/** The profile's plan, then a preview (--noop, first) or the real run; each choice shows its exact command line. */
export function ArchiveReviewScreen(props: { services: WizardServices; profile: string; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const [outline, setOutline] = useState<{ steps: string[]; warnings: string[]; problem?: string } | undefined>();
  useEffect(() => {
    const read = props.services.outlineArchive;
    if (!read) return setOutline({ steps: [], warnings: [] });
    void read(props.profile).then((answer) => setOutline('problem' in answer ? { steps: [], warnings: [], problem: answer.problem } : answer));
  }, []);
  const run = (noop: boolean): ArchiveAnswers => ({ profile: props.profile, noop });
  return (
    <Box flexDirection="column">
      <Text bold>Review</Text>
      {outline === undefined ? <Text dimColor>reading the profile …</Text> : null}
      {outline?.problem ? <Text color="red">{outline.problem}</Text> : null}
      {(outline?.steps ?? []).map((step, i) => (
        <Text key={i}>{`  ${i + 1}. ${step}`}</Text>
      ))}
      {(outline?.warnings ?? []).map((warning, i) => (
        <Text key={`w${i}`} color="yellow">{`  ${warning}`}</Text>
      ))}
      <Text> </Text>
      <SelectList
        choices={[
          { value: run(true), label: 'Preview: print every command in order, change nothing', hint: commandLine(archiveArgv(run(true))) },
          { value: run(false), label: 'Run it (as root: snapshots, mounts)', hint: commandLine(archiveArgv(run(false))) },
        ]}
        onSelect={(answers) => props.onConfirm(archiveArgv(answers))}
        onBack={props.onBack}
        memory="archive-run"
      />
      <Text dimColor>Enter runs the chosen command, Esc goes back</Text>
    </Box>
  );
}
