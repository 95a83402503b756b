import type { ChecksumAlgorithm } from '../checksums/algorithms.js';
import type { Digests } from '../checksums/content.js';
import { digestFile } from '../checksums/file-hash.js';
import type { LocalFile } from './local-files.js';

/**
 * Large files going to a free key need their digests only when they are sent (the SHA-256 travels in the metadata
 * of CreateMultipartUpload), so they need not wait for a serial pass over every byte: the first is hashed in the
 * hash phase, the others here, one after another in sending order, each while the files before it are being sent.
 * Nothing else needs them earlier: there is no object to compare and nothing to resume.
 */
export function deferredHashes(files: LocalFile[], large: (file: LocalFile) => boolean): Set<string> {
  return new Set(files.filter(large).slice(1).map((file) => file.rel));
}

/** Starts hashing `files` in order, one at a time; each promise is awaited by the upload of its file. */
export function hashAhead(files: LocalFile[], algorithm: ChecksumAlgorithm, signal: AbortSignal): Map<string, Promise<Digests>> {
  const out = new Map<string, Promise<Digests>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const file of files) {
    const digests = previous.then(() => digestFile(file.path, algorithm, () => undefined, signal, { md5: false }));
    out.set(file.rel, digests);
    // The next waits for this one, failed or not; and a run that stops early never awaits the rest, so this handler
    // also keeps their failure (the stop itself) from being an unhandled one.
    previous = digests.catch(() => undefined);
  }
  return out;
}
