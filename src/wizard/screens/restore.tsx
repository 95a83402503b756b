import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { RestorableEntry } from '../../core/restore/list.js';
import { restoreArgv, type RestoreAnswers } from '../answers.js';
import { CommandReview } from '../components/command-review.js';
import { SelectList, type Choice } from '../components/select-list.js';
import { wizardMessage, type AwsChoice, type WizardServices } from '../services.js';

export type RestorePick = { kind: 'backup'; entry: RestorableEntry } | { kind: 's3' } | { kind: 'archive' };

/** Which backup: one of `offsite restore --list`, or an S3 prefix or a dar archive directory typed next. */
export function RestoreSourceScreen(props: { services: WizardServices; aws?: AwsChoice; onDone: (pick: RestorePick) => void; onBack: () => void }) {
  const [backups, setBackups] = useState<RestorableEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const list = props.services.listBackups;
    if (!list) return setBackups([]);
    list(props.aws).then(setBackups, (e: unknown) => (setError(wizardMessage(e)), setBackups([])));
  }, []);
  const choices: Choice<RestorePick>[] = [
    ...(backups ?? []).map((entry) => ({
      value: { kind: 'backup' as const, entry },
      label: `${entry.id}  ${entry.method.padEnd(5)} ${entry.time.slice(0, 16)}  ${entry.source}`,
      hint: `${entry.kind}, ${entry.sizeGiB} GiB, ${entry.detail}`,
      ...(entry.restorable ? {} : { disabledReason: `state ${entry.state}: needs --force on the command line` }),
    })),
    { value: { kind: 's3' }, label: 'An S3 prefix…', hint: 'what offsite s3 stored: s3://bucket/prefix' },
    { value: { kind: 'archive' }, label: 'A dar archive directory…', hint: 'a monthly set written by offsite archive' },
  ];
  return (
    <Box flexDirection="column">
      <Text bold>Which backup?</Text>
      {backups === undefined ? <Text dimColor>reading your backups …</Text> : null}
      {error ? <Text color="yellow">{`could not list EBS backups: ${error}`}</Text> : null}
      <SelectList choices={choices} onSelect={props.onDone} onBack={props.onBack} memory="restore-source" />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}

/** The exact command line, then Enter runs it. */
export function RestoreReviewScreen(props: { answers: RestoreAnswers; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const { target } = props.answers;
  return (
    <CommandReview
      steps={[
        'prove the backup first (SHA-256 of a dd image, checksums of an rsync mirror or of S3 objects, dar -t)',
        `restore into a staging directory beside ${target}`,
        `only then move it into place; a corrupt backup leaves ${target} untouched (exit 3)`,
      ]}
      scriptLabel="The same restore from a script:"
      argv={restoreArgv(props.answers)}
      enterDoes="starts"
      onConfirm={props.onConfirm}
      onBack={props.onBack}
    />
  );
}
