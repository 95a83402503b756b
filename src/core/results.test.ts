import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ArchiveResult } from './archive/plan.js';
import type { CleanupResult } from './cleanup/item.js';
import type { EbsBackupResult } from './ebs/plan.js';
import type { CreateJobResult } from './export/plan.js';
import type { JobStatus, JobSummary, ShippingLabel } from './export/service.js';
import type { RestorableEntry } from './restore/list.js';
import type { RestoreResult } from './restore/plan.js';
import type { CedarResult, S3StoreResult } from './s3/plan.js';
import type { VerifyReport } from './verify/plan.js';
import * as results from './results.js';

/** The same fields with the same types both ways: the schema says exactly what the service returns. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Contract<S extends z.ZodType> = Omit<z.infer<S>, 'leftBehind' | 'cleanup'>;

// Each line fails to compile when a service's result and its schema drift apart.
const agreed: true[] = [
  true satisfies Same<Contract<typeof results.EbsResultSchema>, EbsBackupResult>,
  true satisfies Same<Contract<typeof results.S3StoreResultSchema>, S3StoreResult>,
  true satisfies Same<Contract<typeof results.CedarResultSchema>, CedarResult>,
  true satisfies Same<Contract<typeof results.VerifyReportSchema>, VerifyReport>,
  true satisfies Same<Contract<typeof results.ArchiveResultSchema>, ArchiveResult>,
  true satisfies Same<Contract<typeof results.CleanupResultSchema>, CleanupResult>,
  true satisfies Same<Contract<typeof results.RestoreResultSchema>, RestoreResult>,
  true satisfies Same<Contract<typeof results.RestorableListSchema>, { backups: RestorableEntry[] }>,
  true satisfies Same<Contract<typeof results.CreateJobResultSchema>, CreateJobResult>,
  true satisfies Same<Contract<typeof results.JobStatusSchema>, JobStatus>,
  true satisfies Same<Contract<typeof results.JobListSchema>, { jobs: JobSummary[]; pages: number }>,
  true satisfies Same<Contract<typeof results.ShippingLabelSchema>, ShippingLabel & { jobId: string }>,
];

describe('the typed results of --json', () => {
  it('every service result type agrees with its schema', () => {
    expect(agreed.every(Boolean)).toBe(true);
  });

  it('schemas are strict: a field outside the contract is refused, a result of another command is not mistaken', () => {
    const restore = { source: 'vol-1', target: '/t', method: 'dd', dryRun: false, files: 1, bytes: 2, verified: 1, skipped: 0, proof: 'sha256', elapsedMs: 3 };
    expect(results.CommandResultSchema.safeParse(restore).success).toBe(true);
    expect(results.CommandResultSchema.safeParse({ ...restore, surprise: 1 }).success).toBe(false);
    expect(results.CommandResultSchema.safeParse({}).success).toBe(false);
    expect(results.CancelJobSchema.safeParse({ jobId: 'J', cancelled: true }).success).toBe(true);
  });
});
