import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { Completion } from '../complete.js';

/** A second Tab lists at most this many matches, like a shell that asks before flooding the screen. */
const MAX_LISTED = 60;

/**
 * A one-line input: typing edits, Backspace deletes, Tab asks `complete` for a longer value (path completion) and a
 * second Tab with several matches lists them under the field, Enter submits, Esc goes back. Controlled: the parent
 * owns the value.
 */
export function TextInput(props: {
  value: string;
  onChange: (value: string) => void;
  onSubmit: (value: string) => void;
  onBack?: () => void;
  complete?: (value: string) => Promise<Completion>;
  placeholder?: string;
}) {
  const [listing, setListing] = useState<string[]>([]);
  // Keys of one burst (pasted text, a held Backspace) arrive as separate events before the parent re-renders: each
  // edits the value the one before left, not the value of the last render.
  const live = useRef(props.value);
  const rendered = useRef(props.value);
  if (props.value !== rendered.current) {
    rendered.current = props.value;
    live.current = props.value;
  }
  const change = (value: string): void => {
    live.current = value;
    props.onChange(value);
  };
  // The value the last Tab left: a Tab on that same value is the "second Tab" that lists.
  const tabbed = useRef<string | undefined>(undefined);
  const edit = (value: string): void => {
    tabbed.current = undefined;
    setListing([]);
    change(value);
  };
  const tab = (typed: string): void => {
    const complete = props.complete;
    if (!complete) return;
    const again = tabbed.current === typed;
    void complete(typed).then((answer) => {
      tabbed.current = answer.value;
      if (answer.value !== typed) {
        setListing([]);
        change(answer.value);
      } else if (typed !== live.current) change(typed);
      else if (again && answer.matches.length > 1) setListing(answer.matches);
    });
  };
  useInput((input, key) => {
    const value = live.current;
    if (key.return) return props.onSubmit(value);
    if (key.escape) return props.onBack?.();
    if (key.tab) return tab(value);
    if (key.backspace || key.delete) return edit(value.slice(0, -1));
    if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return;
    if (!input) return;
    // Fast typists and terminals deliver several keys in one chunk ("docs/ph<Tab>"): honour each.
    const typed = value + input.replace(/[\t\r\n]/g, '');
    if (input.includes('\t') && props.complete) {
      tabbed.current = undefined;
      tab(typed);
    } else if (/[\r\n]$/.test(input)) props.onSubmit(typed);
    else edit(typed);
  });
  const shown = listing.slice(0, MAX_LISTED);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="cyan">› </Text>
        {props.value || <Text dimColor>{props.placeholder ?? ''}</Text>}
        <Text inverse> </Text>
      </Text>
      {shown.length > 0 ? (
        <Text>{`  ${shown.join('  ')}${listing.length > shown.length ? `  … and ${listing.length - shown.length} more` : ''}`}</Text>
      ) : null}
    </Box>
  );
}
