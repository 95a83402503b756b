import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3Call } from '../../aws/s3.js';
import { PENDING_UPLOAD } from '../ledger/ledger.js';

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated?: Date;
}

/** A part S3 already holds: enough to decide whether it is the part we would send. */
export interface StoredPart {
  size: number;
  etag: string;
  checksum?: string;
}

const withSignal = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});

export async function listIncompleteUploads(s3: S3Client, bucket: string, prefix: string, signal?: AbortSignal): Promise<IncompleteUpload[]> {
  const uploads: IncompleteUpload[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    const page = await s3Call(`listing incomplete uploads in s3://${bucket}/${prefix}`, () =>
      s3.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(idMarker ? { UploadIdMarker: idMarker } : {}) }),
        withSignal(signal),
      ),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key && upload.UploadId) uploads.push({ key: upload.Key, uploadId: upload.UploadId, ...(upload.Initiated ? { initiated: upload.Initiated } : {}) });
    }
    if (!page.IsTruncated) return uploads;
    keyMarker = page.NextKeyMarker;
    idMarker = page.NextUploadIdMarker;
    if (!keyMarker && !idMarker) return uploads;
  }
}

/** The parts an upload already has (ListParts, all pages); undefined when the upload is gone. */
export async function listStoredParts(s3: S3Client, bucket: string, key: string, uploadId: string, signal?: AbortSignal): Promise<Map<number, StoredPart> | undefined> {
  const parts = new Map<number, StoredPart>();
  let marker: string | undefined;
  try {
    for (;;) {
      const page = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }), withSignal(signal));
      for (const part of page.Parts ?? []) {
        if (!part.PartNumber) continue;
        const checksum = part.ChecksumCRC64NVME ?? part.ChecksumCRC32;
        parts.set(part.PartNumber, { size: part.Size ?? 0, etag: (part.ETag ?? '').replace(/"/g, ''), ...(checksum ? { checksum } : {}) });
      }
      if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
      marker = page.NextPartNumberMarker;
    }
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchUpload') return undefined;
    throw error;
  }
}

export async function abortUpload(s3: S3Client, bucket: string, upload: IncompleteUpload, signal?: AbortSignal): Promise<void> {
  try {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId }), withSignal(signal));
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
  }
}

/** Clock skew allowed between this machine and S3 when matching an upload to the moment it was asked for. */
const SKEW_MS = 5 * 60_000;

/**
 * Aborts an upload a ledger recorded. One recorded only as asked for (`pending:`, its process killed before S3
 * answered) is looked for at its key: any upload there begun since it was asked for, and not one of `keep`.
 */
export async function abortRecordedUpload(
  s3: S3Client,
  recorded: { bucket: string; key: string; id: string; since?: string },
  options: { keep?: ReadonlySet<string>; signal?: AbortSignal } = {},
): Promise<void> {
  const { bucket, key, id } = recorded;
  if (!id.startsWith(PENDING_UPLOAD)) return abortUpload(s3, bucket, { key, uploadId: id }, options.signal);
  const since = recorded.since ? Date.parse(recorded.since) - SKEW_MS : 0;
  for (const upload of await listIncompleteUploads(s3, bucket, key, options.signal)) {
    if (upload.key !== key || options.keep?.has(upload.uploadId)) continue;
    if (upload.initiated && upload.initiated.getTime() < since) continue;
    await abortUpload(s3, bucket, upload, options.signal);
  }
}
