import { SnowballBlockSchema, type ReturnAddress } from './manifest-schema.js';
import { readManifest } from './manifest.js';
import { checkManifestFor } from './manifest-rules.js';
import type { SnowballSettings } from './service.js';
import { shippingOptionFor } from './snowball-translate.js';

/** What a Snowball export job would be made of, read from its manifest before anything is sent. */
export interface SnowballOutline {
  /** The IAM role and KMS key the manifest names, if it names them (a flag can still give or replace them). */
  roleArn?: string;
  kmsKeyArn?: string;
  /** The shipping speed the job gets without --shipping-option (snowball.shippingOption, else from serviceLevel). */
  shippingOption: NonNullable<SnowballSettings['shippingOption']>;
  /** Where AWS ships the appliance (CreateAddress). */
  address: ReturnAddress;
  buckets: string[];
  /** Fields Snowball ignores, with their lines. */
  warnings: string[];
}

/** A role placeholder: the role is asked for after the manifest, so only its absence is forgiven here. */
const ROLE_ASKED_LATER = 'arn:aws:iam::000000000000:role/asked-later';

/**
 * The manifest read and held to every Snowball rule but the role's (which may come from --role-arn); throws the
 * first problem with its line, as create-job would.
 */
export async function readSnowballOutline(path: string): Promise<SnowballOutline> {
  const manifest = await readManifest(path);
  const block = manifest.fields.snowball ?? {};
  const warnings = checkManifestFor('snowball', manifest, { roleArn: block.roleArn ?? ROLE_ASKED_LATER });
  return {
    ...(block.roleArn ? { roleArn: block.roleArn } : {}),
    ...(block.kmsKeyArn ? { kmsKeyArn: block.kmsKeyArn } : {}),
    shippingOption: shippingOptionFor(manifest, {}),
    address: manifest.fields.returnAddress,
    buckets: manifest.fields.operations.map((op) => op.exportBucket),
    warnings,
  };
}

/** Why `value` cannot be given as --role-arn or --kms-key-arn (the manifest schema's own rule), or undefined. */
export function snowballArnProblem(key: 'roleArn' | 'kmsKeyArn', value: string): string | undefined {
  const parsed = SnowballBlockSchema.shape[key].safeParse(value);
  return parsed.success ? undefined : (parsed.error.issues[0]?.message ?? 'is not valid');
}
