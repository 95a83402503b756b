import { S3Client } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Clients } from '../../../src/aws/s3.js';
import { OffsiteError } from '../../../src/errors.js';
import { makeEmitter, type OffsiteEvent } from '../../../src/core/events.js';
import { RunLedger, newRunId } from '../../../src/core/ledger/ledger.js';
import { defaultUploadSettings, MiB, type S3StorePlan } from '../../../src/core/s3/plan.js';
import { runS3Store } from '../../../src/core/s3/store.js';
import { pseudoRandom } from '../../helpers/trees.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { createBucket, head, incompleteUploads, listKeys, objectBytes, s3Client } from './helpers.js';

const BUCKET = 'core-bucket';

const fixture = useSandbox('s3-core', { instance: false });
let s3: S3Client;

beforeAll(async () => {
  s3 = s3Client(fixture.sandbox);
  await createBucket(s3, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
});

/** Flips one byte of every upload body on its way out: what a bad NIC or proxy would do. */
function corruptingClient(): S3Client {
  const client = s3Client(fixture.sandbox);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown };
      if (request.body instanceof Readable) {
        let flipped = false;
        request.body = request.body.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              const copy = Buffer.from(chunk);
              if (!flipped && copy.length > 0) {
                copy[0]! ^= 0xff;
                flipped = true;
              }
              done(null, copy);
            },
          }),
        );
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'corruptBody' },
  );
  return client;
}

function clients(data: S3Client): S3Clients {
  const control = s3Client(fixture.sandbox);
  return { control, data, destroy: () => (control.destroy(), data.destroy()) };
}

async function plan(name: string, files: Record<string, Buffer>, upload: Partial<S3StorePlan['upload']> = {}): Promise<S3StorePlan> {
  const source = join(fixture.work, name);
  await mkdir(source, { recursive: true });
  for (const [rel, data] of Object.entries(files)) await writeFile(join(source, rel), data);
  return {
    source,
    destination: { bucket: BUCKET, prefix: `${name}/` },
    skipIndicators: false,
    mirror: false,
    encryption: { kind: 'none' },
    workDir: fixture.work,
    upload: { ...defaultUploadSettings, checksumAlgorithm: 'CRC32', partSize: 5 * MiB, multipartThreshold: 5 * MiB, ...upload },
    dryRun: false,
    resume: true,
    createdBy: 'tests',
  };
}

async function store(p: S3StorePlan, s3Clients: S3Clients) {
  const events: OffsiteEvent[] = [];
  const ledger = await RunLedger.open(newRunId(), join(fixture.work, 'state'));
  const control = { signal: new AbortController().signal, emit: makeEmitter((e) => events.push(e)) };
  try {
    return { result: await runS3Store(p, { s3: s3Clients, ledger, stateDir: join(fixture.work, 'state') }, control), events };
  } catch (error) {
    return { error, events };
  } finally {
    s3Clients.destroy();
  }
}

describe('the store service against moto', () => {
  it('bytes corrupted in flight are caught by the proof of the write: exit 3, nothing left at the key', async () => {
    const p = await plan('corrupt', { 'a.bin': pseudoRandom(50_000, 31) });
    const { error } = await store(p, clients(corruptingClient()));
    expect(error).toBeInstanceOf(OffsiteError);
    expect((error as OffsiteError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/^verification of the upload failed: ETag differs \[.*a\.bin\], expected MD5 [0-9a-f]{32}/);
    expect(await listKeys(s3, BUCKET, 'corrupt/')).toEqual([]);
  });

  it('objects above the copy limit go into place with UploadPartCopy and keep a full-object checksum', async () => {
    const data = pseudoRandom(11 * MiB + 1, 32);
    const p = await plan('copy-in-parts', { 'large.bin': data }, { copyPartThreshold: 5 * MiB, partSize: 5 * MiB });
    const { result, error } = await store(p, clients(s3Client(fixture.sandbox)));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ uploaded: 1, verified: 1 });
    expect((await objectBytes(s3, BUCKET, 'copy-in-parts/large.bin')).equals(data)).toBe(true);
    expect((await head(s3, BUCKET, 'copy-in-parts/large.bin')).ChecksumType).toBe('FULL_OBJECT');
    expect(await incompleteUploads(s3, BUCKET)).toEqual([]);
  });
});
