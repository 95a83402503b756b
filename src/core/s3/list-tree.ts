import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { InterruptedError, OffsiteError } from '../../errors.js';
import { escapeName } from '../../util/escape-name.js';
import { listPages, type ListedObject } from './remote.js';

/** Directories listed at a time: rclone's default number of checkers, which S3 (and moto) answer well. */
export const LIST_CONCURRENCY = 8;

/**
 * Every key below a prefix, the same entries as listObjects finds (not in S3's order), listed directory by
 * directory (Delimiter '/') with `concurrency` directories in flight. The flat listing waits on the server's time
 * per key one page after another; this waits on it in parallel. A prefix without subdirectories costs the same
 * pages as the flat listing, each subdirectory one request more: a tree of many small directories costs more
 * requests than it saves time, so this is for whole-tree comparisons, not for every listing.
 */
export async function listTree(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
  concurrency = LIST_CONCURRENCY,
): Promise<Map<string, ListedObject>> {
  const found = new Map<string, ListedObject>();
  const limit = pLimit(concurrency);
  // The first failure stops the rest: listings in flight are aborted, directories still queued are skipped.
  const stop = new AbortController();
  const requestSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let failure: unknown;
  const running: Promise<void>[] = [];

  const list = (dir: string): void => {
    running.push(
      limit(async () => {
        if (failure !== undefined) return;
        if (requestSignal.aborted) {
          failure = new InterruptedError();
          return;
        }
        try {
          for await (const page of listPages(s3, bucket, dir, { delimiter: '/', signal: requestSignal })) {
            for (const [key, object] of page.objects) found.set(key, object);
            for (const sub of page.prefixes) {
              // A common prefix always extends the directory; one that does not would be listed for ever.
              if (sub.length <= dir.length || !sub.startsWith(dir)) throw new OffsiteError(`listing s3://${bucket}/${dir}: the endpoint answered with ${escapeName(sub)}, which is not below it`);
              list(sub);
            }
          }
        } catch (error) {
          failure ??= error;
          stop.abort();
        }
      }),
    );
  };

  list(prefix);
  // Awaited in rounds, not recursively: a deep tree lengthens the queue of directories, never the stack.
  while (running.length > 0) await Promise.all(running.splice(0));
  if (failure !== undefined) throw failure;
  return found;
}
