import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { RestorableEntry } from '../../core/restore/list.js';
import { commandLine, restoreArgv, type RestoreAnswers } from '../answers.js';
import { SelectList, type Choice } from '../components/select-list.js';
import { TextInput } from '../components/text-input.js';
import type { WizardServices } from '../services.js';

export type RestorePick = { kind: 'backup'; entry: RestorableEntry } | { kind: 's3' } | { kind: 'archive' };

/** Which backup: one of `offsite restore --list`, or an S3 prefix or a dar archive directory typed next. */
export function RestoreSourceScreen(props: { services: WizardServices; onDone: (pick: RestorePick) => void; onBack: () => void }) {
  const [backups, setBackups] = useState<RestorableEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const list = props.services.listBackups;
    if (!list) return setBackups([]);
    list().then(setBackups, (e: Error) => (setError(e.message), setBackups([])));
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
      <SelectList choices={choices} onSelect={props.onDone} onBack={props.onBack} />
      <Text dimColor>Enter chooses, Esc goes back</Text>
    </Box>
  );
}

/** One path or URL, checked when Enter is pressed (`check` returns why it cannot be used). */
export function PathScreen(props: {
  title: string;
  help: string;
  initial?: string;
  services: WizardServices;
  check: (value: string) => Promise<string | undefined>;
  onDone: (value: string) => void;
  onBack: () => void;
}) {
  const [value, setValue] = useState(props.initial ?? '');
  const [error, setError] = useState<string | undefined>();
  const submit = (raw: string): void => {
    const trimmed = raw.trim();
    void props.check(trimmed).then((problem) => (problem ? setError(problem) : props.onDone(trimmed)));
  };
  return (
    <Box flexDirection="column">
      <Text bold>{props.title}</Text>
      <TextInput value={value} onChange={(v) => (setValue(v), setError(undefined))} onSubmit={submit} onBack={props.onBack} complete={(p) => props.services.complete(p)} />
      {error ? <Text color="red">{error}</Text> : null}
      <Text dimColor>{props.help}</Text>
    </Box>
  );
}

/** The exact command line, then Enter runs it. */
export function RestoreReviewScreen(props: { answers: RestoreAnswers; onConfirm: (argv: string[]) => void; onBack: () => void }) {
  const argv = restoreArgv(props.answers);
  useInput((_input, key) => {
    if (key.return) props.onConfirm(argv);
    else if (key.escape) props.onBack();
  });
  return (
    <Box flexDirection="column">
      <Text bold>Review</Text>
      <Text>{'  1. prove the backup first (SHA-256 of a dd image, checksums of an rsync mirror or of S3 objects, dar -t)'}</Text>
      <Text>{`  2. restore into a staging directory beside ${props.answers.target}`}</Text>
      <Text>{`  3. only then move it into place; a corrupt backup leaves ${props.answers.target} untouched (exit 3)`}</Text>
      <Text> </Text>
      <Text>The same restore from a script:</Text>
      <Text color="green">{`  ${commandLine(argv)}`}</Text>
      <Text> </Text>
      <Text dimColor>Enter starts, Esc goes back</Text>
    </Box>
  );
}
