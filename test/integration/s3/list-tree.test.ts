import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree } from '../../../src/core/s3/list-tree.js';
import { listObjects, type ListedObject } from '../../../src/core/s3/remote.js';
import { InterruptedError, UsageError } from '../../../src/errors.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, s3Client } from './helpers.js';

/** The directory-by-directory listing against the flat one, on moto, through a proxy that counts requests. */
const BUCKET = 'listed-tree';
const DEEP = 60;
const FLAT = 1100;

/** Keys where '/' is not simply a separator between names, and names S3 must encode to list. */
const TRICKY = [
  'tree/', // the listing prefix itself
  'tree/plain.txt',
  'tree/a//b', // an empty path segment
  'tree//leading', // an empty first segment
  'tree/a', // a key beside the common prefix tree/a/
  'tree/a/', // a key equal to a common prefix
  'tree/a/inside',
  'tree/ends-with-slash/',
  'tree/ends-with-slash//',
  'tree/x y+z%41&=?.txt',
  'tree/ünïcødé ☃/file',
  'tree/100% done+more/file', // a directory whose name S3 encodes ('+' is a space there, '%' an escape)
  'tree/control\u0001char/\u007f',
  'tree/lone', // a key equal to a common prefix without its '/', as well as the directory below
  'tree/lone/x',
  `tree/${Array.from({ length: DEEP }, (_, i) => `l${i}`).join('/')}/bottom`,
  'tree-sibling/outside', // under the prefix "tree" but not "tree/"
  'treetop',
  'other/never',
];

const fixture = useSandbox('s3-list-tree', { instance: false, countingProxy: true });
let s3: S3Client;

beforeAll(async () => {
  // Through the proxy, so every request the listings make is counted.
  s3 = s3Client({ ...fixture.sandbox, moto: { ...fixture.sandbox.moto, endpoint: fixture.proxy!.endpoint } });
  await createBucket(s3, BUCKET);
  const put = pLimit(8);
  const keys = [...TRICKY, ...Array.from({ length: FLAT }, (_, i) => `flat/f${String(i).padStart(4, '0')}`)];
  await Promise.all(keys.map((key, i) => put(() => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('x'.repeat(i % 7)) })))));
});

afterAll(() => {
  s3?.destroy();
});

const sorted = (listed: Map<string, ListedObject>): Array<[string, ListedObject]> => [...listed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

async function counted<T>(work: () => Promise<T>): Promise<{ value: T; lists: number }> {
  fixture.proxy!.reset();
  const value = await work();
  return { value, lists: fixture.proxy!.counts().get('ListObjects') ?? 0 };
}

describe('listTree', () => {
  it.each(['tree/', 'tree', '', 'tree/a/', 'tree/l0/'])('finds exactly what the flat listing finds below %j', async (prefix) => {
    const flat = await listObjects(s3, BUCKET, prefix);
    const walked = await listTree(s3, BUCKET, prefix);
    expect(flat.size).toBeGreaterThan(0);
    expect(sorted(walked)).toEqual(sorted(flat));
  });

  it('lists a prefix without subdirectories in the same pages as the flat listing', async () => {
    const flat = await counted(() => listObjects(s3, BUCKET, 'flat/'));
    const walked = await counted(() => listTree(s3, BUCKET, 'flat/'));
    expect(walked.value.size).toBe(FLAT);
    expect(walked.lists).toBe(flat.lists);
    expect(flat.lists).toBe(2);
  });

  it('costs one request per directory, never more than the given number in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const watched = s3Client({ ...fixture.sandbox, moto: { ...fixture.sandbox.moto, endpoint: fixture.proxy!.endpoint } });
    watched.middlewareStack.add(
      (next) => async (args) => {
        most = Math.max(most, ++inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize', name: 'countInFlight' },
    );
    try {
      const { value, lists } = await counted(() => listTree(watched, BUCKET, '', undefined, 3));
      expect(value.size).toBe(TRICKY.length + FLAT);
      // Directories: the bucket's root, tree/, tree//, tree/a/, tree/a//, tree/ends-with-slash/ and its //,
      // tree/ünïcødé ☃/, tree/100% done+more/, tree/control…/, tree/lone/, tree/l0/ … tree/l59/, tree-sibling/,
      // other/, flat/ (two pages).
      expect(lists).toBe(1 + 1 + 1 + 2 + 2 + 1 + 1 + 1 + 1 + DEEP + 1 + 1 + 2);
      expect(most).toBeLessThanOrEqual(3);
    } finally {
      watched.destroy();
    }
  });

  it('stops when the run is interrupted, in flight or before it starts', async () => {
    const before = new AbortController();
    before.abort();
    await expect(listTree(s3, BUCKET, '', before.signal)).rejects.toBeInstanceOf(InterruptedError);

    // Interrupted as the fifth listing request is about to be sent: none reaches the server after that.
    const during = new AbortController();
    let sent = 0;
    const interrupted = s3Client({ ...fixture.sandbox, moto: { ...fixture.sandbox.moto, endpoint: fixture.proxy!.endpoint } });
    interrupted.middlewareStack.add(
      (next) => async (args) => {
        if (++sent === 5) during.abort();
        return next(args);
      },
      { step: 'initialize', name: 'interruptAtFifth' },
    );
    try {
      const { value } = await counted(() => listTree(interrupted, BUCKET, 'tree/', during.signal, 2).catch((error: unknown) => error));
      expect(value).toBeInstanceOf(InterruptedError);
      expect(fixture.proxy!.counts().get('ListObjects')).toBeLessThanOrEqual(4);
    } finally {
      interrupted.destroy();
    }
  });

  it('fails as the flat listing does on a missing bucket', async () => {
    const flat = await listObjects(s3, 'no-such-bucket', 'tree/').catch((error: unknown) => error);
    const walked = await listTree(s3, 'no-such-bucket', 'tree/').catch((error: unknown) => error);
    expect(walked).toBeInstanceOf(UsageError);
    expect((walked as Error).message).toBe((flat as Error).message);
  });
});
