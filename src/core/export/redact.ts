import { isMap, isScalar, parseDocument } from 'yaml';
import { SECRET_FIELDS } from './manifest-schema.js';

const MASK = '********';

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
