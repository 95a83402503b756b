/**
 * The two retired job services, started together: the Import/Export and Snowball fakes on loopback, knowing the
 * AWS documentation's example keys (the fixture manifests name the first as their accessKeyId, and a manifest's
 * key must be the signing key) and the buckets those manifests export.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeImportExport, type FakeImportExport, type FakeImportExportOptions } from './fake-importexport.js';
import { startFakeSnowball, type FakeSnowball, type FakeSnowballOptions } from './fake-snowball.js';

/** The AWS documentation's example key pair: the fixtures' manifests name this key id. */
export const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const OTHER_KEY_ID = 'AKIAI44QH8DHBEXAMPLE';
export const OTHER_SECRET = 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY';
/** The buckets the fixture manifests export and log to. */
export const JOB_BUCKETS = ['offsite-export-logs', 'offsite-photos', 'offsite-docs'];

export interface JobServices {
  importExport: FakeImportExport;
  snowball: FakeSnowball;
  /** AWS_ENDPOINT_URL_IMPORTEXPORT and AWS_ENDPOINT_URL_SNOWBALL. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startJobServices(
  region: string,
  options: { importExport?: Partial<FakeImportExportOptions>; snowball?: Partial<FakeSnowballOptions> } = {},
): Promise<JobServices> {
  const keys = { [KEY_ID]: SECRET, [OTHER_KEY_ID]: OTHER_SECRET };
  const importExport = await startFakeImportExport({ keys, buckets: JOB_BUCKETS, ...options.importExport });
  const snowball = await startFakeSnowball({ keys, region, buckets: JOB_BUCKETS, ...options.snowball }).catch(async (error: unknown) => {
    await importExport.stop();
    throw error;
  });
  return {
    importExport,
    snowball,
    env: { AWS_ENDPOINT_URL_IMPORTEXPORT: importExport.endpoint, AWS_ENDPOINT_URL_SNOWBALL: snowball.endpoint },
    async stop() {
      await Promise.allSettled([importExport.stop(), snowball.stop()]);
    },
  };
}

export type JobServicesOptions = Parameters<typeof startJobServices>[1];

/** The job services alone (no moto, no instance), with a state directory: what the export tests run against. */
export interface JobServicesSandbox {
  dir: string;
  region: string;
  importExport: FakeImportExport;
  snowball: FakeSnowball;
  /** The example keys, the region and both endpoints; OFFSITE_STATE_DIR inside `dir`. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startJobServicesSandbox(options: JobServicesOptions = {}, region = 'us-east-1'): Promise<JobServicesSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'offsite-job-services-'));
  const services = await startJobServices(region, options);
  return {
    dir,
    region,
    importExport: services.importExport,
    snowball: services.snowball,
    env: {
      AWS_ACCESS_KEY_ID: KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...services.env,
      OFFSITE_STATE_DIR: join(dir, 'state'),
    },
    async stop() {
      await services.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
