import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/cli.js';
import type { Sandbox } from '../../sandbox/sandbox.js';

/**
 * A client on the sandbox's moto (path-style, as moto needs); the caller destroys it. `sdkChecksums`: the SDK
 * computes request checksums itself (WHEN_SUPPORTED), independent of offsite's own.
 */
export function s3Client(sandbox: Pick<Sandbox, 'moto' | 'region'>, options: { sdkChecksums?: boolean } = {}): S3Client {
  return new S3Client({
    endpoint: sandbox.moto.endpoint,
    region: sandbox.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    requestChecksumCalculation: options.sdkChecksums ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function listKeys(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

export async function objectBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

export async function head(s3: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput> {
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
}

export async function incompleteUploads(s3: S3Client, bucket: string): Promise<string[]> {
  const found = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (found.Uploads ?? []).map((u) => u.Key!);
}

/** A fixtures/cedar configuration with its @PLACEHOLDERS@ filled in, written to `path`. */
export async function cedarConfig(name: string, path: string, values: Record<string, string>): Promise<string> {
  let text = await readFile(join(repoRoot, 'fixtures', 'cedar', name), 'utf8');
  for (const [placeholder, value] of Object.entries(values)) text = text.replaceAll(`@${placeholder}@`, value);
  await writeFile(path, text);
  return path;
}

export type Event = {
  type: string;
  phase?: string;
  status?: string;
  bytes?: number;
  total?: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
  message?: string;
  exitCode?: number;
  kind?: string;
  id?: string;
  action?: string;
  result?: Record<string, unknown>;
};

export function parseEvents(stdout: string): Event[] {
  return stdout.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as Event);
}

export function resultOf(events: Event[]): Record<string, unknown> {
  const result = events.find((e) => e.type === 'result');
  if (!result?.result) throw new Error(`no result event: ${JSON.stringify(events.filter((e) => e.type !== 'progress')).slice(0, 3000)}`);
  return result.result;
}
