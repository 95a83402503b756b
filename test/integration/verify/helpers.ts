import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { s3Client } from '../s3/helpers.js';
import type { VerifyReport } from '../../../src/core/verify/plan.js';

/**
 * A client that lets the SDK compute checksums itself (WHEN_SUPPORTED): the stored CRC32C, SHA-1, SHA-256 and
 * CRC64NVME values then come from the SDK's own implementations, independent of the verifier's. moto stores what
 * the client sends; it cannot compute CRC32C or CRC64NVME itself without optional Python packages.
 */
export function checksummingClient(sandbox: Sandbox): S3Client {
  return s3Client(sandbox, { sdkChecksums: true });
}

export interface PutOptions {
  algorithm?: ChecksumAlgorithm;
  metadata?: Record<string, string>;
  sse?: ServerSideEncryption;
}

export async function putObject(s3: S3Client, bucket: string, key: string, body: Buffer, options: PutOptions = {}): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ...(options.algorithm ? { ChecksumAlgorithm: options.algorithm } : {}),
      ...(options.metadata ? { Metadata: options.metadata } : {}),
      ...(options.sse ? { ServerSideEncryption: options.sse } : {}),
    }),
  );
}

/** A multipart upload with exactly these part sizes (S3 keeps no record of them but in the parts themselves). */
export async function putMultipart(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  partSizes: number[],
  options: PutOptions & { checksumType?: 'FULL_OBJECT' | 'COMPOSITE' } = {},
): Promise<void> {
  const { algorithm, checksumType } = options;
  const created = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ...(algorithm ? { ChecksumAlgorithm: algorithm, ChecksumType: checksumType } : {}),
      ...(options.metadata ? { Metadata: options.metadata } : {}),
      ...(options.sse ? { ServerSideEncryption: options.sse } : {}),
    }),
  );
  const parts = [];
  let offset = 0;
  for (let i = 0; i < partSizes.length; i++) {
    const data = body.subarray(offset, offset + partSizes[i]!);
    offset += partSizes[i]!;
    const sent = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: i + 1, Body: data, ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}) }),
    );
    parts.push({
      PartNumber: i + 1,
      ETag: sent.ETag,
      ...(sent.ChecksumCRC32 ? { ChecksumCRC32: sent.ChecksumCRC32 } : {}),
      ...(sent.ChecksumSHA256 ? { ChecksumSHA256: sent.ChecksumSHA256 } : {}),
    });
  }
  if (offset !== body.length) throw new Error(`part sizes add up to ${offset}, not ${body.length}`);
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: created.UploadId,
      MultipartUpload: { Parts: parts },
      ...(checksumType ? { ChecksumType: checksumType } : {}),
    }),
  );
}

type Event = { type: string; message?: string; result?: Record<string, unknown> };

export function events(stdout: string): Event[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Event);
}

/** The report a `--json` run ended with. */
export function reportOf(stdout: string): VerifyReport {
  const result = events(stdout).find((e) => e.type === 'result');
  if (!result?.result) throw new Error(`no result event in: ${stdout.slice(-3000)}`);
  return result.result as unknown as VerifyReport;
}

/** path → category, and path → evidence, for compact assertions. */
export function verdicts(report: VerifyReport): Record<string, string> {
  return Object.fromEntries(report.files.map((f) => [f.path, f.category]));
}

export function evidenceOf(report: VerifyReport): Record<string, string[]> {
  return Object.fromEntries(report.files.map((f) => [f.path, f.evidence]));
}
