import { z } from 'zod';
import { Advice, ResourceKind } from './events.js';

/**
 * What each command puts in its `result` event: the typed half of the `--json` contract. Every schema is strict,
 * so a field added to a result without being added here fails the tests that read the stream, and the reference
 * page (docs/json.md) is generated from these. Fields may be added, never removed.
 */

const Leftover = z.object({ kind: ResourceKind, id: z.string(), region: z.string().optional() }).strict();

/** Added to a finished run's result when its clean-up left something behind (exit 4). */
const LeftBehind = { leftBehind: z.array(Leftover).optional(), cleanup: z.string().optional() };

export const EbsResultSchema = z
  .object({
    volumeId: z.string(),
    createdVolume: z.boolean(),
    method: z.enum(['dd', 'rsync']),
    instanceId: z.string(),
    availabilityZone: z.string(),
    bytesTransferred: z.number(),
    sha256: z.string().optional(),
    consistent: z.boolean(),
    changedFiles: z.array(z.string()).optional(),
    snapshotId: z.string().optional(),
    elapsedMs: z.number(),
    ...LeftBehind,
  })
  .strict()
  .describe('offsite ebs, ec2-backup');

const s3Store = {
  destination: z.string(),
  files: z.number(),
  bytes: z.number(),
  uploaded: z.number(),
  uploadedBytes: z.number(),
  resumedParts: z.number(),
  reusedStaged: z.number(),
  unchanged: z.number(),
  removed: z.number(),
  verified: z.number(),
  skipped: z.number(),
  encryption: z.enum(['none', 'gpg', 'command']),
  checksumAlgorithm: z.enum(['CRC64NVME', 'CRC32']),
  dryRun: z.boolean(),
  wouldUpload: z.array(z.string()).optional(),
  wouldRemove: z.array(z.string()).optional(),
  elapsedMs: z.number(),
};

export const S3StoreResultSchema = z.object(s3Store).strict().describe('offsite s3 DIR s3://…');

export const CedarResultSchema = z
  .object({ ...s3Store, stagingDir: z.string(), day: z.string(), limit: z.string().optional(), indicator: z.string().optional() })
  .strict()
  .describe('offsite s3 --cedar-config');

const Category = z.enum(['match', 'differ', 'missing-remotely', 'missing-locally', 'unreadable', 'unverified']);

export const VerifyReportSchema = z
  .object({
    source: z.string(),
    target: z.string(),
    root: z.string(),
    sample: z.object({ mode: z.enum(['all', 'count', 'percent']), value: z.number().optional(), slice: z.string().optional(), seed: z.string() }).strict(),
    localFiles: z.number(),
    remoteFiles: z.number(),
    skippedLocal: z.number(),
    sampled: z.number(),
    counts: z.record(Category, z.number()),
    assertions: z.object({ run: z.number(), succeeded: z.number(), failed: z.number() }).strict(),
    files: z.array(
      z
        .object({
          path: z.string(),
          category: Category,
          remote: z.string().optional(),
          size: z.number().optional(),
          evidence: z.array(z.string()),
          reason: z.string().optional(),
          side: z.enum(['local', 'remote']).optional(),
        })
        .strict(),
    ),
    checks: z.array(z.object({ what: z.string(), ok: z.boolean(), detail: z.string().optional() }).strict()),
    warnings: z.array(z.string()),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(3)]),
    elapsedMs: z.number(),
    ...LeftBehind,
  })
  .strict()
  .describe('offsite verify, s3export verify-backup');

export const ArchiveResultSchema = z
  .object({
    profile: z.string(),
    noop: z.boolean(),
    source: z.enum(['lvm', 'btrfs', 'none']),
    snapshot: z.string(),
    kind: z.enum(['full', 'incremental']),
    archive: z.string(),
    parent: z.string().optional(),
    set: z.string(),
    slices: z.array(z.string()),
    bytes: z.number(),
    sourceBytes: z.number().optional(),
    sourceFiles: z.number().optional(),
    catalogue: z.string().optional(),
    tested: z.boolean(),
    stats: z.object({ saved: z.number(), unchanged: z.number(), deleted: z.number(), failed: z.number(), dirty: z.number() }).partial().strict(),
    mirroredTo: z.string().optional(),
    commands: z.array(z.string()),
    elapsedMs: z.number(),
  })
  .strict()
  .describe('offsite archive');

export const CleanupResultSchema = z
  .object({
    items: z.array(
      z
        .object({
          kind: ResourceKind,
          id: z.string(),
          region: z.string().optional(),
          runId: z.string().optional(),
          created: z.string().optional(),
          action: z.enum(['terminate', 'delete', 'unlock', 'abort', 'remove', 'unmount', 'keep', 'by-hand']),
          removable: z.boolean(),
          left: z.boolean(),
          reason: z.string(),
          advice: Advice.optional(),
          outcome: z.enum(['removed', 'failed']).optional(),
          error: z.string().optional(),
          detail: z.record(z.string(), z.string()).optional(),
        })
        .strict(),
    ),
    left: z.number(),
    removed: z.number(),
    failed: z.number(),
    region: z.string(),
  })
  .strict()
  .describe('offsite cleanup');

export const RestoreResultSchema = z
  .object({
    source: z.string(),
    target: z.string(),
    method: z.string(),
    dryRun: z.boolean(),
    files: z.number(),
    bytes: z.number(),
    verified: z.number(),
    skipped: z.number(),
    proof: z.string(),
    elapsedMs: z.number(),
    entries: z.array(z.string()).optional(),
  })
  .strict()
  .describe('offsite restore');

export const RestorableListSchema = z
  .object({
    backups: z.array(
      z
        .object({
          kind: z.enum(['volume', 'snapshot']),
          id: z.string(),
          source: z.string(),
          method: z.string(),
          time: z.string(),
          sizeGiB: z.number(),
          state: z.string(),
          restorable: z.boolean(),
          detail: z.string(),
        })
        .strict(),
    ),
  })
  .strict()
  .describe('offsite restore --list');

const Artifact = z.object({ description: z.string(), url: z.string() }).strict();

export const CreateJobResultSchema = z
  .object({
    service: z.enum(['importexport', 'snowball']),
    dryRun: z.boolean(),
    jobId: z.string().optional(),
    jobType: z.string().optional(),
    device: z.string().optional(),
    filesystemDevice: z.string().optional(),
    formatted: z.boolean(),
    signatureWritten: z.boolean(),
    warnings: z.array(z.string()),
    artifacts: z.array(Artifact),
    addressId: z.string().optional(),
    request: z.record(z.string(), z.unknown()).optional(),
    elapsedMs: z.number(),
    ...LeftBehind,
  })
  .strict()
  .describe('offsite export create-job, s3export create-job');

export const JobStatusSchema = z
  .object({
    jobId: z.string(),
    jobType: z.string().optional(),
    state: z.string(),
    location: z.string().optional(),
    message: z.string().optional(),
    final: z.boolean(),
    outcome: z.enum(['success', 'success-with-errors', 'failed', 'cancelled', 'expired']).optional(),
    creationDate: z.string().optional(),
    progress: z.object({ bytesTransferred: z.number(), totalBytes: z.number(), objectsTransferred: z.number().optional(), totalObjects: z.number().optional() }).strict().optional(),
    details: z.record(z.string(), z.string()),
    currentManifest: z.string().optional(),
  })
  .strict()
  .describe('export get-status');

export const JobListSchema = z
  .object({
    jobs: z.array(
      z
        .object({
          jobId: z.string(),
          jobType: z.string().optional(),
          creationDate: z.string().optional(),
          state: z.string().optional(),
          cancelled: z.boolean().optional(),
          description: z.string().optional(),
        })
        .strict(),
    ),
    pages: z.number(),
  })
  .strict()
  .describe('export list-jobs');

export const CancelJobSchema = z.object({ jobId: z.string(), cancelled: z.literal(true) }).strict().describe('export cancel-job');

export const ShippingLabelSchema = z.object({ jobId: z.string(), url: z.string(), warning: z.string().optional() }).strict().describe('export get-shipping-label');

export const JobFileSchema = z.object({ jobId: z.string(), path: z.string(), bytes: z.number() }).strict().describe('export get-job-manifest, get-unlock-code');

/** Every result a command can emit; a `result` event holds exactly one of them. */
export const CommandResultSchema = z.union([
  EbsResultSchema,
  S3StoreResultSchema,
  CedarResultSchema,
  VerifyReportSchema,
  ArchiveResultSchema,
  CleanupResultSchema,
  RestoreResultSchema,
  RestorableListSchema,
  CreateJobResultSchema,
  JobStatusSchema,
  JobListSchema,
  CancelJobSchema,
  ShippingLabelSchema,
  JobFileSchema,
]);
export type CommandResult = z.infer<typeof CommandResultSchema>;
