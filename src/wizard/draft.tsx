import { createContext, useContext, useState, type ReactNode } from 'react';

/**
 * What the operator typed or chose on each screen, kept by the app while screens come and go, so Esc back to a
 * screen shows it as it was left. Without a provider (a screen rendered alone) nothing is kept.
 */
const Drafts = createContext<Map<string, unknown> | undefined>(undefined);

export function DraftProvider(props: { drafts: Map<string, unknown>; children: ReactNode }) {
  return <Drafts.Provider value={props.drafts}>{props.children}</Drafts.Provider>;
}

/** Like useState, but the value outlives the screen under `key` (no key: plain state). */
export function useDraft<T>(key: string | undefined, initial: T): [T, (value: T) => void] {
  const drafts = useContext(Drafts);
  const [value, setValue] = useState<T>(key && drafts?.has(key) ? (drafts.get(key) as T) : initial);
  const set = (next: T): void => {
    if (key) drafts?.set(key, next);
    setValue(next);
  };
  return [value, set];
}
