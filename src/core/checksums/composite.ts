import { digestOf, type Algorithm } from './algorithms.js';

/** The ETag S3 gives an object uploaded in parts: MD5 of the parts' MD5s, then "-" and the number of parts (hex). */
export function multipartEtag(partMd5s: Buffer[]): string {
  return `${digestOf('MD5', Buffer.concat(partMd5s)).toString('hex')}-${partMd5s.length}`;
}

/** A COMPOSITE checksum: the algorithm over the parts' digests, base64 (the part count is carried separately). */
export function compositeChecksum(algorithm: Algorithm, partDigests: Buffer[]): string {
  return digestOf(algorithm, Buffer.concat(partDigests)).toString('base64');
}
