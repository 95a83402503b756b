import { fieldError, type ExportManifest } from './manifest.js';
import type { ServiceName, SnowballSettings } from './service.js';

/**
 * What each service needs beyond the common schema. Throws the first hard problem (with its line);
 * returns warnings for fields the service will ignore.
 */
export function checkManifestFor(service: ServiceName, manifest: ExportManifest, flags: SnowballSettings = {}): string[] {
  const f = manifest.fields;
  const warnings: string[] = [];
  if (service === 'importexport') {
    if (!f.deviceId) throw fieldError(manifest, ['deviceId'], 'is required for Import/Export jobs (the serial number or label id of your disk)');
    if (!f.fileSystem) throw fieldError(manifest, ['fileSystem'], 'is required for export jobs (EXT4 or NTFS)');
    if (!f.logBucket) throw fieldError(manifest, ['logBucket'], 'is required for export jobs (AWS writes the job log there)');
    if (!f.trueCryptPassword && !f.pinCode) {
      throw fieldError(manifest, ['trueCryptPassword'], 'is required unless pinCode is set: AWS encrypts every export (TrueCrypt password or hardware PIN)');
    }
    if (f.snowball) warnings.push(`${manifest.file}:${manifest.lineOf(['snowball'])}: the snowball: block is left out of the manifest sent to Import/Export`);
    return warnings;
  }
  if (!(flags.roleArn ?? f.snowball?.roleArn)) {
    throw fieldError(manifest, ['snowball', 'roleArn'], 'is required for Snowball export jobs', { remedy: 'roleArn' });
  }
  f.operations.forEach((op, i) => {
    if (op.prefix !== undefined) throw fieldError(manifest, ['operations', i, 'prefix'], 'Snowball selects keys by beginMarker/endMarker only');
    if (op.targetDirectory !== undefined) throw fieldError(manifest, ['operations', i, 'targetDirectory'], 'Snowball keeps the bucket layout; it has no target directory');
  });
  const ignored: [keyof typeof f, string][] = [
    ['trueCryptPassword', 'Snowball encrypts with your KMS key instead'],
    ['pinCode', 'Snowball encrypts with your KMS key instead'],
    ['notificationEmail', 'Snowball notifies through snowball.snsTopicArn'],
    ['targetDirectory', 'Snowball keeps the bucket layout'],
    ['recoveryDirectory', 'Snowball keeps the bucket layout'],
    ['logPrefix', 'Snowball writes its own job logs'],
    ['customs', 'Snowball handles customs papers itself'],
    ['deviceId', 'AWS ships its own appliance'],
  ];
  for (const [field, why] of ignored) {
    if (f[field] !== undefined) warnings.push(`${manifest.file}:${manifest.lineOf([field])}: ${field} is ignored: ${why}`);
  }
  return warnings;
}
