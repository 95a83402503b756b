import { z } from 'zod';

/**
 * The export manifest (AWS Import/Export Disk, manifestVersion 2.0, export jobs), plus an optional `snowball:`
 * block for what Snowball needs and the classic format has no field for. The YAML is read with the failsafe
 * schema, so every scalar arrives as the text the operator typed: a PIN 0123 or a postal code 02134 keeps its
 * leading zero, and "no" stays "no". Messages never quote a value (it might be a secret).
 */

const text = z.string().trim().min(1, 'is empty');

const yesNo = z.enum(['yes', 'no', 'Yes', 'No', 'YES', 'NO']).transform((v) => v.toLowerCase() as 'yes' | 'no');

export const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)')
  .refine((name) => !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name), 'is not a valid S3 bucket name');

const email = /^[^@\s;]+@[^@\s;]+\.[^@\s;]+$/;

export const ExportOperationSchema = z
  .strictObject({
    exportBucket: bucketName,
    prefix: text.optional(),
    beginMarker: text.optional(),
    endMarker: text.optional(),
    targetDirectory: text.optional(),
  })
  .refine((op) => op.beginMarker === undefined || op.endMarker === undefined || op.beginMarker < op.endMarker, {
    message: 'must sort after beginMarker (keys are exported in alphabetical order)',
    path: ['endMarker'],
  });

export const AddressSchema = z.strictObject({
  name: text,
  company: text.optional(),
  street1: text,
  street2: text.optional(),
  street3: text.optional(),
  city: text,
  stateOrProvince: text.optional(),
  postalCode: text,
  country: text,
  phoneNumber: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ().\/-]{5,30}$/, 'is not a phone number (digits, spaces, + ( ) . / -)')
    .refine((v) => (v.match(/\d/g) ?? []).length >= 5, 'is not a phone number (at least 5 digits)'),
});

export const CustomsSchema = z.strictObject({
  dataDescription: text.optional(),
  encryptedData: yesNo.optional(),
  encryptionClassification: text.optional(),
  exportCertifierName: text.optional(),
  requiresExportLicense: yesNo.optional(),
  deviceValue: z.string().trim().regex(/^\d+(\.\d{1,2})?$/, 'must be an amount in US dollars, e.g. 120.00').optional(),
  deviceCountryOfOrigin: text.optional(),
  deviceType: z.enum(['sataDrive', 'externalStorageDevice']).optional(),
  deviceHTS: z.string().trim().regex(/^\d{4}\.\d{2}\.\d{4}$/, 'must be an HTS code like 8471.70.2000').optional(),
  typeOfExport: z.enum(['return', 'permanent', 'temporary']).optional(),
});

const arn = (service: string, what: string) =>
  z.string().trim().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]*:\\d{12}:.+$`), `is not ${what} ARN`);

export const SnowballBlockSchema = z.strictObject({
  roleArn: arn('iam', 'an IAM role').optional(),
  kmsKeyArn: arn('kms', 'a KMS key').optional(),
  shippingOption: z.enum(['SECOND_DAY', 'NEXT_DAY', 'EXPRESS', 'STANDARD']).optional(),
  snowballType: text.optional(),
  capacity: text.optional(),
  snsTopicArn: arn('sns', 'an SNS topic').optional(),
  description: text.optional(),
});

export const ManifestSchema = z.strictObject({
  manifestVersion: z.string().trim().regex(/^2(\.0)?$/, 'must be 2.0 (S3 export manifests; 3.0 is for EBS imports)'),
  generator: text.optional(),
  accessKeyId: z.string().trim().regex(/^[A-Z0-9]{16,128}$/, 'is not an AWS access key id (20 capital letters and digits)'),
  deviceId: text.optional(),
  fileSystem: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['EXT4', 'NTFS'], { message: 'must be EXT4 or NTFS' }))
    .optional(),
  serviceLevel: z.enum(['standard', 'expeditedShipping']).optional(),
  targetDirectory: text.optional(),
  recoveryDirectory: text.optional(),
  logBucket: bucketName.optional(),
  logPrefix: z
    .string()
    .refine((v) => Buffer.byteLength(v) + 'export-log-XXXXX'.length <= 1024, 'is too long: logPrefix + "export-log-<JOBID>" must fit in 1024 bytes')
    .optional(),
  notificationEmail: z
    .string()
    .trim()
    .refine((v) => v.split(';').every((part) => email.test(part.trim())), 'must be e-mail addresses separated by semicolons')
    .optional(),
  trueCryptPassword: text.optional(),
  pinCode: z.string().trim().regex(/^\d{4,16}$/, 'must be 4 to 16 digits').optional(),
  operations: z.array(ExportOperationSchema).min(1, 'must list at least one "- exportBucket: <bucket>"'),
  returnAddress: AddressSchema,
  customs: CustomsSchema.optional(),
  snowball: SnowballBlockSchema.optional(),
});

export type ManifestFields = z.infer<typeof ManifestSchema>;
export type ExportOperation = z.infer<typeof ExportOperationSchema>;
export type ReturnAddress = z.infer<typeof AddressSchema>;

/** Fields of other manifest kinds: named in the error so the operator knows why they are refused. */
export const IMPORT_ONLY_FIELDS = new Set(['bucket', 'eraseDevice', 'acl', 'ignore', 'prefix', 'substitutions', 'setContentEncodingForGzFiles', 'staticFileContentTypes']);

/** Manifest fields whose values are secrets: never printed, logged or sent anywhere but to the job service. */
export const SECRET_FIELDS = ['trueCryptPassword', 'pinCode'] as const;
