import { UsageError } from '../../errors.js';
import { escapeName } from '../../util/escape-name.js';

/** A place in S3: a bucket and a key prefix that is empty or ends with '/'. */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** S3's rules for bucket names (general purpose buckets): 3–63 of a-z 0-9 . -, starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function checkBucketName(bucket: string, source: string): void {
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new UsageError(`${source}: '${bucket}' is not a valid S3 bucket name (3–63 characters: a-z, 0-9, '.', '-')`);
  }
}

/**
 * Joins a prefix path the way S3 keys read: no leading slash, single slashes, a trailing slash unless empty.
 * '.' and '..' are refused: S3 would store them literally, and every tool that maps keys back to paths (the aws CLI,
 * rclone, our restore) would resolve them outside the prefix.
 */
export function normalisePrefix(path: string, source = 'prefix'): string {
  const parts = path.split('/').filter((part) => part !== '');
  if (parts.some((part) => part === '.' || part === '..')) {
    throw new UsageError(`${source}: '${escapeName(path)}' has a '.' or '..' segment; S3 keys have no relative parts, name the prefix plainly`);
  }
  return parts.length === 0 ? '' : `${parts.join('/')}/`;
}

/** `s3://bucket[/prefix]` → bucket and prefix. */
export function parseS3Url(value: string, source: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(value.trim());
  if (!match || !match[1]) throw new UsageError(`${source}: '${value}' is not an S3 URL like s3://bucket or s3://bucket/prefix`);
  checkBucketName(match[1], source);
  return { bucket: match[1], prefix: normalisePrefix(match[2] ?? '', source) };
}

/**
 * Cedar's `<s3_bucket>`: a bucket name, optionally followed by a sub-path ("example.com-backup/staging").
 * `asCedar`: the key prefix Cedar itself arrives at, which joins `s3://<s3_bucket>/<day>` as text and lets the aws CLI
 * keep every slash ("bucket/" gives keys "/2024/01/02/…", "bucket/staging/" gives "staging//2024/…"), so the same
 * configuration finds the same objects; '.' and '..' segments are refused either way.
 */
export function parseCedarBucket(value: string, source: string, options: { asCedar?: boolean } = {}): S3Location {
  const trimmed = value.trim().replace(/^s3:\/\//, '');
  const slash = trimmed.indexOf('/');
  const bucket = slash < 0 ? trimmed : trimmed.slice(0, slash);
  checkBucketName(bucket, source);
  const path = slash < 0 ? '' : trimmed.slice(slash + 1);
  const prefix = normalisePrefix(path, source);
  return { bucket, prefix: options.asCedar && slash >= 0 ? `${path}/` : prefix };
}

export function s3Url(location: S3Location, key = ''): string {
  return `s3://${location.bucket}/${location.prefix}${key}`;
}
