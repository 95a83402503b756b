import { Box, Text } from 'ink';
import { useState } from 'react';
import { parseS3Url } from '../../core/s3/url.js';
import { TextInput } from '../components/text-input.js';

/** Where in S3: an s3://bucket[/prefix] URL, checked as it is accepted. */
export function S3DestinationScreen(props: { onDone: (destination: string) => void; onBack: () => void }) {
  const [value, setValue] = useState('s3://');
  const [error, setError] = useState<string | undefined>();
  const submit = (url: string): void => {
    try {
      parseS3Url(url.trim(), 'destination');
      props.onDone(url.trim());
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Box flexDirection="column">
      <Text bold>Where in S3?</Text>
      <TextInput value={value} onChange={(v) => (setValue(v), setError(undefined))} onSubmit={submit} onBack={props.onBack} />
      {error ? <Text color="red">{error}</Text> : null}
      <Text dimColor>s3://bucket/prefix — Enter accepts, Esc goes back</Text>
    </Box>
  );
}
