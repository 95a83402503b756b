import { createHmac } from 'node:crypto';

/**
 * AWS Signature Version 2 for Query-protocol POSTs (HmacSHA256), as Import/Export required. The string to sign is
 *   METHOD \n lower-case host[:port] \n path \n sorted, RFC 3986-encoded parameters (all but Signature)
 * and the signature is its base64 HMAC-SHA256 under the secret key.
 */

export interface SigV2Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV2Request {
  method: string;
  /** host[:port] as sent in the Host header. */
  host: string;
  /** The path only, without the query string (`/` for `/?Operation=CreateJob`). */
  path: string;
  params: Record<string, string>;
}

/** RFC 3986 percent-encoding: unreserved characters stay, everything else is %XX of its UTF-8 bytes. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parameters sorted by name in byte order and encoded: the canonical query string, also the POST body. */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((name) => `${rfc3986(name)}=${rfc3986(params[name]!)}`)
    .join('&');
}

export function stringToSign(request: SigV2Request): string {
  const { Signature: _ignored, ...params } = request.params;
  return [request.method.toUpperCase(), request.host.toLowerCase(), request.path || '/', canonicalQuery(params)].join('\n');
}

export function signature(request: SigV2Request, secretAccessKey: string): string {
  return createHmac('sha256', secretAccessKey).update(stringToSign(request), 'utf8').digest('base64');
}

/** Seconds precision, as the service expects: 2010-06-01T12:00:00Z. */
export function sigV2Timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The request's parameters with the authentication ones added and the signature computed over them. */
export function signParams(request: SigV2Request, credentials: SigV2Credentials, now: Date): Record<string, string> {
  const params: Record<string, string> = {
    ...request.params,
    AWSAccessKeyId: credentials.accessKeyId,
    SignatureMethod: 'HmacSHA256',
    SignatureVersion: '2',
    Timestamp: sigV2Timestamp(now),
    ...(credentials.sessionToken ? { SecurityToken: credentials.sessionToken } : {}),
  };
  delete params.Signature;
  return { ...params, Signature: signature({ ...request, params }, credentials.secretAccessKey) };
}
