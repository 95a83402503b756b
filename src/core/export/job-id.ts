import { UsageError } from '../../errors.js';
import type { ServiceName } from './service.js';

/** Import/Export: five letters and digits (the service's documented alphabet leaves out 0 and O; we do not insist). */
const IMPORT_EXPORT_JOB_ID = /^[A-Z0-9]{5}$/i;

/** Snowball: JID (a job) or MID (a cluster's master job) and a lower-case UUID. */
export const SNOWBALL_JOB_ID = /^[JM]ID[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks a job id locally, before any request; returns it in the service's spelling. */
export function parseJobId(value: string, service: ServiceName): string {
  const id = value.trim();
  if (service === 'importexport') {
    if (!IMPORT_EXPORT_JOB_ID.test(id)) throw new UsageError(`<job-id>: '${value}' is not an Import/Export job id (five letters and digits, e.g. ABC12)`);
    return id.toUpperCase();
  }
  if (!SNOWBALL_JOB_ID.test(id)) throw new UsageError(`<job-id>: '${value}' is not a Snowball job id (JID followed by a UUID)`);
  return id;
}
