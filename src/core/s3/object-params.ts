import type { ContentTypes } from './content-type.js';
import type { ChecksumAlgorithm } from '../checksums/algorithms.js';
import type { Digests } from '../checksums/content.js';
import type { EncryptionPlan, UploadSettings } from './plan.js';
import { sseParams } from './s3-params.js';

/** What every object of ours is written with, whichever request writes it (PUT, multipart, copy to a new object). */
export interface ObjectParams {
  Metadata: Record<string, string>;
  ContentType: string;
  StorageClass?: 'STANDARD';
  ServerSideEncryption?: 'AES256' | 'aws:kms';
  SSEKMSKeyId?: string;
}

export interface ObjectParamsContext {
  settings: UploadSettings;
  encryption: EncryptionPlan['kind'];
  createdBy: string;
  contentTypes: ContentTypes;
}

/**
 * The one place the parameters of a stored object are built: our metadata, the Content-Type the aws CLI would give
 * the name, the storage class (final objects only; staged copies stay STANDARD until copied into place) and SSE.
 */
export function objectParams(file: { rel: string }, digests: { plaintext: Digests; sent: Digests }, staged: boolean, ctx: ObjectParamsContext): ObjectParams {
  return {
    Metadata: objectMetadata(digests.plaintext, digests.sent, ctx.encryption, ctx.settings.checksumAlgorithm, ctx.createdBy),
    // No guess: the CLI sends no Content-Type and S3 records its default; the SDK would send its own, so name S3's.
    ContentType: ctx.contentTypes(file.rel) ?? 'binary/octet-stream',
    ...(ctx.settings.storageClass && !staged ? { StorageClass: ctx.settings.storageClass as 'STANDARD' } : {}),
    ...sseParams(ctx.settings.sse),
  };
}

/** Our x-amz-meta-* fields. Keys are lower case, as S3 returns them. */
export function objectMetadata(plaintext: Digests, sent: Digests, encryption: EncryptionPlan['kind'], algorithm: ChecksumAlgorithm, createdBy: string): Record<string, string> {
  return {
    sha256: plaintext.sha256,
    'offsite-created-by': createdBy.slice(0, 200),
    ...(encryption === 'none'
      ? {}
      : {
          'offsite-encryption': encryption,
          'ciphertext-sha256': sent.sha256,
          'ciphertext-checksum': `${algorithm}:${sent.checksum}`,
          'ciphertext-size': String(sent.size),
        }),
  };
}
