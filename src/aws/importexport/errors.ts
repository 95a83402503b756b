import { ExitCode } from '../../exit-codes.js';
import { OffsiteError } from '../../errors.js';

/** Exit 2 for what the operator must fix in the manifest, the job id or the credentials; 1 for everything else. */
const CODES: Record<string, { text: string; usage: boolean; withMessage?: boolean }> = {
  InvalidJobIdException: { text: 'no such job in this account', usage: true },
  ExpiredJobIdException: { text: 'the job has expired', usage: false },
  CanceledJobIdException: { text: 'the job was cancelled and is no longer valid', usage: false },
  UnableToCancelJobIdException: { text: 'the job can no longer be cancelled: AWS has received the device or started work on it', usage: false },
  InvalidAccessKeyIdException: { text: "the manifest's accessKeyId is not the key that signed the request", usage: true },
  InvalidAccessIdException: { text: "the manifest's accessKeyId is not the key that signed the request", usage: true },
  InvalidClientTokenIdException: { text: 'AWS does not know this access key id', usage: true },
  InvalidClientTokenId: { text: 'AWS does not know this access key id', usage: true },
  SignatureDoesNotMatch: { text: 'the request signature was rejected: check the secret access key', usage: true },
  MissingParameterException: { text: 'a required request parameter is missing', usage: false, withMessage: true },
  InvalidParameterException: { text: 'a request parameter is invalid', usage: false, withMessage: true },
  InvalidAddressException: { text: 'the return address in the manifest is invalid', usage: true, withMessage: true },
  InvalidManifestFieldException: { text: 'a manifest field is invalid', usage: true, withMessage: true },
  MissingManifestFieldException: { text: 'a required manifest field is missing', usage: true, withMessage: true },
  MalformedManifestException: { text: 'the manifest is not well-formed', usage: true, withMessage: true },
  NoSuchBucketException: { text: 'a bucket named in the manifest does not exist', usage: true, withMessage: true },
  MissingCustomsException: { text: 'the manifest needs a customs: section for this shipment', usage: true, withMessage: true },
  InvalidCustomsException: { text: 'a customs field in the manifest is invalid', usage: true, withMessage: true },
  InvalidFileSystemException: { text: 'the manifest fileSystem is not supported', usage: true, withMessage: true },
  MultipleRegionsException: { text: 'the manifest names buckets in more than one region; a job may use one region only', usage: true },
  BucketPermissionException: { text: 'this account may not use a bucket named in the manifest', usage: false, withMessage: true },
  InvalidVersionException: { text: 'the service does not accept this API or manifest version', usage: true, withMessage: true },
  CreateJobQuotaExceededException: { text: 'the account has too many open jobs', usage: false },
  Throttling: { text: 'the service is throttling requests; try again later', usage: false },
};

/** One line for a service error: "<doing what>: <plain words> (<Code>: <service message>)". */
export function importExportError(code: string, serviceMessage: string | undefined, action: string): OffsiteError {
  const known = CODES[code];
  const message = (serviceMessage ?? '').split('\n')[0]!.trim();
  if (!known) return new OffsiteError(`${action}: ${code}${message ? `: ${message}` : ''}`);
  const detail = known.withMessage && message ? `${code}: ${message}` : code;
  return new OffsiteError(`${action}: ${known.text} (${detail})`, known.usage ? ExitCode.usage : ExitCode.failed);
}
