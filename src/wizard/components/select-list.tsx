import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';

export interface Choice<T> {
  value: T;
  label: string;
  /** A second, dimmer line or column (what the choice is for). */
  hint?: string;
  /** Why the choice cannot be taken; such choices are dimmed and skipped by the cursor. */
  disabledReason?: string;
}

/** ↑/↓ (or k/j) to move, Enter to choose, Esc to go back. Disabled choices stay visible, dimmed, with their reason. */
export function SelectList<T>(props: { choices: Choice<T>[]; onSelect: (value: T) => void; onBack?: () => void; initialIndex?: number }) {
  const { choices } = props;
  const firstEnabled = Math.max(0, choices.findIndex((c) => !c.disabledReason));
  const [index, setIndexState] = useState(props.initialIndex ?? firstEnabled);
  // Keys can arrive in one burst (↓ then Enter): the ref sees a move before React re-renders.
  const current = useRef(index);
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
  return (
    <Box flexDirection="column">
      {choices.map((choice, i) => {
        const active = i === index && !choice.disabledReason;
        return (
          <Box key={`${choice.label}-${i}`} flexDirection="column">
            <Text color={active ? 'cyan' : undefined} dimColor={Boolean(choice.disabledReason)}>
              {active ? '› ' : '  '}
              {choice.label}
              {choice.disabledReason ? `  (${choice.disabledReason})` : ''}
            </Text>
            {choice.hint ? <Text dimColor>{`    ${choice.hint}`}</Text> : null}
          </Box>
        );
      })}
    </Box>
  );
}
