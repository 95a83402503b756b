import type { ExportService, JobSummary, ServiceName, SnowballSettings } from './service.js';

/** The job service by name, with the account's credentials (and, for Snowball, its region and job settings). */
export async function openJobService(name: ServiceName, options: { region?: string; profile?: string; settings?: SnowballSettings }): Promise<ExportService> {
  const profile = options.profile ? { profile: options.profile } : {};
  if (name === 'importexport') {
    const [{ importExportService }, { defaultCredentials, importExportEndpoint }] = await Promise.all([import('./importexport.js'), import('../../aws/importexport/credentials.js')]);
    const endpoint = importExportEndpoint();
    return importExportService({ ...(endpoint ? { endpoint } : {}), credentials: defaultCredentials(profile) });
  }
  const [{ snowballClient, snowballRegion }, { snowballService }] = await Promise.all([import('../../aws/snowball.js'), import('./snowball.js')]);
  const region = await snowballRegion({ ...(options.region ? { region: options.region } : {}), ...profile });
  return snowballService({ client: snowballClient({ region, ...profile }), region, settings: options.settings ?? {} });
}

/** The account's jobs on one service, newest first (all pages). Read-only. */
export async function listJobsOf(name: ServiceName, options: { region?: string; profile?: string }, signal = AbortSignal.timeout(60_000)): Promise<JobSummary[]> {
  const service = await openJobService(name, options);
  try {
    const jobs = await service.listJobs({}, signal);
    return [...jobs].sort((a, b) => (b.creationDate ?? '').localeCompare(a.creationDate ?? ''));
  } finally {
    service.close();
  }
}
