import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3Call } from '../../aws/s3.js';

export interface IncompleteUpload {
  key: string;
  uploadId: string;
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
    for (const upload of page.Uploads ?? []) if (upload.Key && upload.UploadId) uploads.push({ key: upload.Key, uploadId: upload.UploadId });
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
