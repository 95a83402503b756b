/**
 * What the operator typed into an S3 field, as an s3:// URL: a full URL is kept, a bare `bucket/prefix` gets the
 * scheme; the scheme is never doubled.
 */
export function asS3Url(typed: string): string {
  const trimmed = typed.trim();
  return /^s3:\/\//i.test(trimmed) ? `s3://${trimmed.slice(5)}` : `s3://${trimmed.replace(/^\/+/, '')}`;
}
