import { isMap, isScalar, parseDocument } from 'yaml';
import type { EventSink, OffsiteEvent } from '../events.js';
import { SECRET_FIELDS } from './manifest-schema.js';

const MASK = '********';

/** Replaces every occurrence of each secret in `text`. Longest first, so a secret containing another is masked whole. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(MASK);
  }
  return out;
}

/** Scrubs every string inside a JSON-like value. */
export function scrubValue<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return scrubText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrubValue(item, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, secrets)])) as T;
  }
  return value;
}

/** A sink that never lets a known secret through, whatever event carries it (errors from the service included). */
export function redactingSink(sink: EventSink, secrets: () => readonly string[]): EventSink {
  return (event: OffsiteEvent) => sink(scrubValue(event, secrets()));
}

/**
 * A manifest as the service echoes it back (GetStatus CurrentManifest) with its secret fields masked.
 * Returns undefined when it cannot be read safely: then it is not shown at all.
 */
export function redactManifestText(text: string): string | undefined {
  const doc = parseDocument(text, { schema: 'failsafe' });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const secretKeys = doc.contents.items
    .map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''))
    .filter((key) => (SECRET_FIELDS as readonly string[]).includes(key));
  for (const key of secretKeys) doc.set(key, MASK);
  return String(doc);
}

/** An access key id as the AWS CLI shows it: only the last four characters. */
export function maskKeyId(keyId: string): string {
  return keyId.length <= 4 ? '****' : `${'*'.repeat(Math.min(16, keyId.length - 4))}${keyId.slice(-4)}`;
}
