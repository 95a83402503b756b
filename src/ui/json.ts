import type { EventSink, OffsiteEvent } from '../core/events.js';

/** JSON lines: one event per line, exactly the schema in core/events.ts. */
export function jsonPresenter(write: (line: string) => void): EventSink {
  return (event: OffsiteEvent) => write(JSON.stringify(event));
}
