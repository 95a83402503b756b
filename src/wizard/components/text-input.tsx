import { Text, useInput } from 'ink';

/**
 * A one-line input: typing edits, Backspace deletes, Tab asks `complete` for a longer value (path completion),
 * Enter submits, Esc goes back. Controlled: the parent owns the value.
 */
export function TextInput(props: {
  value: string;
  onChange: (value: string) => void;
  onSubmit: (value: string) => void;
  onBack?: () => void;
  complete?: (value: string) => Promise<string>;
  placeholder?: string;
}) {
  useInput((input, key) => {
    if (key.return) return props.onSubmit(props.value);
    if (key.escape) return props.onBack?.();
    if (key.tab) {
      if (props.complete) void props.complete(props.value).then((completed) => props.onChange(completed));
      return;
    }
    if (key.backspace || key.delete) return props.onChange(props.value.slice(0, -1));
    if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return;
    if (!input) return;
    // Fast typists and terminals deliver several keys in one chunk ("docs/ph<Tab>"): honour each.
    const typed = props.value + input.replace(/[\t\r\n]/g, '');
    if (input.includes('\t') && props.complete) void props.complete(typed).then((completed) => props.onChange(completed));
    else if (/[\r\n]$/.test(input)) props.onSubmit(typed);
    else props.onChange(typed);
  });
  return (
    <Text>
      <Text color="cyan">› </Text>
      {props.value || <Text dimColor>{props.placeholder ?? ''}</Text>}
      <Text inverse> </Text>
    </Text>
  );
}
