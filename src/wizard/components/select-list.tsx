import { Box, Text, useInput } from 'ink';
import { useRef } from 'react';
import { useDraft } from '../draft.js';

/** Longer lists scroll: a terminal of 24 rows still shows the question and the keys. */
const MAX_VISIBLE = 12;

export interface Choice<T> {
  value: T;
  label: string;
  /** A second, dimmer line or column (what the choice is for). */
  hint?: string;
  /** Why the choice cannot be taken; such choices are dimmed and skipped by the cursor. */
  disabledReason?: string;
}

/**
 * ↑/↓ (or k/j) to move, Enter to choose, Esc to go back. Disabled choices stay visible, dimmed, with their reason.
 * Lines longer than the terminal are cut at its width with an ellipsis. `memory` keeps the cursor for a return visit.
 */
export function SelectList<T>(props: { choices: Choice<T>[]; onSelect: (value: T) => void; onBack?: () => void; initialIndex?: number; memory?: string }) {
  const { choices } = props;
  const firstEnabled = Math.max(0, choices.findIndex((c) => !c.disabledReason));
  const [remembered, setIndexState] = useDraft(props.memory, props.initialIndex ?? firstEnabled);
  // A remembered cursor on a choice that is gone or now disabled falls back to the first usable one.
  const index = choices[remembered] && !choices[remembered]!.disabledReason ? remembered : firstEnabled;
  // Keys can arrive in one burst (↓ then Enter): the ref sees a move before React re-renders.
  const current = useRef(index);
  // Choices can arrive after the first render (a listing): the cursor follows what is shown.
  current.current = index;
  const setIndex = (i: number): void => {
    current.current = i;
    setIndexState(i);
  };
  const move = (step: number): void => {
    for (let i = current.current + step; i >= 0 && i < choices.length; i += step) {
      if (!choices[i]!.disabledReason) return setIndex(i);
    }
  };
  useInput((input, key) => {
    if (key.upArrow || input === 'k') move(-1);
    else if (key.downArrow || input === 'j') move(1);
    else if (key.return) {
      const choice = choices[current.current];
      if (choice && !choice.disabledReason) props.onSelect(choice.value);
    } else if (key.escape) props.onBack?.();
  });
  const first = Math.max(0, Math.min(index - Math.floor(MAX_VISIBLE / 2), choices.length - MAX_VISIBLE));
  const shown = choices.slice(first, first + MAX_VISIBLE);
  const below = choices.length - first - shown.length;
  return (
    <Box flexDirection="column">
      {first > 0 ? <Text dimColor>{`  ↑ ${first} more`}</Text> : null}
      {shown.map((choice, shownIndex) => {
        const i = first + shownIndex;
        const active = i === index && !choice.disabledReason;
        return (
          <Box key={`${choice.label}-${i}`} flexDirection="column">
            <Text wrap="truncate-end" color={active ? 'cyan' : undefined} dimColor={Boolean(choice.disabledReason)}>
              {active ? '› ' : '  '}
              {choice.label}
              {choice.disabledReason ? `  (${choice.disabledReason})` : ''}
            </Text>
            {choice.hint ? <Text dimColor>{`    ${choice.hint}`}</Text> : null}
          </Box>
        );
      })}
      {below > 0 ? <Text dimColor>{`  ↓ ${below} more`}</Text> : null}
    </Box>
  );
}
