import { resolveS3Context, s3Clients } from '../../aws/s3.js';
import { checkBucket } from './survey.js';
import { parseS3Url } from './url.js';

/**
 * Whether the bucket of `url` exists and these credentials reach it in this region (HeadBucket): resolves, or
 * throws the one-line reason `offsite s3` itself would give. Read-only.
 */
export async function checkBucketReach(url: string, options: { region?: string; profile?: string }, signal = AbortSignal.timeout(30_000)): Promise<void> {
  const { bucket } = parseS3Url(url, 'the S3 destination');
  const clients = s3Clients(await resolveS3Context(options));
  try {
    await checkBucket(clients.control, bucket, signal);
  } finally {
    clients.destroy();
  }
}
