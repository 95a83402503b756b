import type { Address, CreateJobRequest, SnowballCapacity, SnowballType } from '@aws-sdk/client-snowball';
import type { ExportManifest } from './manifest.js';
import type { SnowballSettings } from './service.js';

/** Classic serviceLevel mapped onto Snowball's shipping options (expeditedShipping was 2-day in the US). */
export function shippingOptionFor(manifest: ExportManifest, settings: SnowballSettings): NonNullable<SnowballSettings['shippingOption']> {
  return settings.shippingOption ?? manifest.fields.snowball?.shippingOption ?? (manifest.fields.serviceLevel === 'expeditedShipping' ? 'SECOND_DAY' : 'STANDARD');
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The manifest as Snowball's CreateAddress + CreateJob inputs (the job's AddressId is filled in later). */
export function translateManifest(manifest: ExportManifest, settings: SnowballSettings, region: string): { address: Address; job: CreateJobRequest } {
  const f = manifest.fields;
  const block = { ...f.snowball, ...definedOnly(settings) };
  const a = f.returnAddress;
  const address: Address = {
    Name: a.name,
    ...(a.company ? { Company: a.company } : {}),
    Street1: a.street1,
    ...(a.street2 ? { Street2: a.street2 } : {}),
    ...(a.street3 ? { Street3: a.street3 } : {}),
    City: a.city,
    ...(a.stateOrProvince ? { StateOrProvince: a.stateOrProvince } : {}),
    Country: a.country,
    PostalCode: a.postalCode,
    PhoneNumber: a.phoneNumber,
  };
  const partition = partitionOf(region);
  const job: CreateJobRequest = {
    JobType: 'EXPORT',
    Resources: {
      S3Resources: f.operations.map((op) => ({
        BucketArn: `arn:${partition}:s3:::${op.exportBucket}`,
        ...(op.beginMarker || op.endMarker
          ? { KeyRange: { ...(op.beginMarker ? { BeginMarker: op.beginMarker } : {}), ...(op.endMarker ? { EndMarker: op.endMarker } : {}) } }
          : {}),
      })),
    },
    Description: block.description ?? `offsite export of ${f.operations.map((op) => op.exportBucket).join(', ')}`.slice(0, 1024),
    ...(block.roleArn ? { RoleARN: block.roleArn } : {}),
    ...(block.kmsKeyArn ? { KmsKeyARN: block.kmsKeyArn } : {}),
    ShippingOption: shippingOptionFor(manifest, settings),
    ...(block.snowballType ? { SnowballType: block.snowballType as SnowballType } : {}),
    ...(block.capacity ? { SnowballCapacityPreference: block.capacity as SnowballCapacity } : {}),
    ...(block.snsTopicArn ? { Notification: { SnsTopicARN: block.snsTopicArn, NotifyAll: true } } : {}),
  };
  return { address, job };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
