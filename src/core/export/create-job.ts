import type { ResourceKind } from '../events.js';
import { InterruptedError, UsageError, describeError } from '../../errors.js';
import { LeftBehindError, cleanupCommand, type Leftover } from '../left-behind.js';
import type { RunLedger } from '../ledger/ledger.js';
import { phaseRunner, skipPhase, type Emit } from '../phases.js';
import type { RunControl } from '../run-control.js';
import { checkExportDevice, inspectBlockDevice, mountsOf, type DeviceCheck } from './device.js';
import { fieldError, type ExportManifest } from './manifest.js';
import { checkManifestFor } from './manifest-rules.js';
import type { CreateJobPlan, CreateJobResult } from './plan.js';
import { existingFilesystem, makeExt4, makePrivateDir, mountAt, partitionWholeDisk, removeDir, unmountDir, writeSignature } from './prepare.js';
import { maskKeyId } from './redact.js';
import { RETIRED_NOTICE, SERVICE_TITLES, type ExportService } from './service.js';

export interface CreateJobDeps {
  service: ExportService;
  ledger: RunLedger;
  /** Where the private mount directory is made (default: the OS temp dir). */
  tmpDir?: string;
}

type ReleaseAction = 'unmounted' | 'removed' | 'terminated';

interface CleanupStep {
  title: string;
  kind: ResourceKind;
  id: string;
  run: (signal: AbortSignal | undefined) => Promise<ReleaseAction>;
}

/** The manifest's accessKeyId must be the key that signs the request, or the service refuses the job. */
export async function checkSigningKey(manifest: ExportManifest, service: ExportService): Promise<void> {
  const signing = await service.signingKeyId();
  const named = manifest.fields.accessKeyId;
  if (named !== signing) {
    throw fieldError(manifest, ['accessKeyId'], `is ${maskKeyId(named)}, but requests are signed with ${maskKeyId(signing)}; they must be the same key`);
  }
}

/**
 * create-job. Import/Export: check the device, (unless --skip-format) partition it when it is a whole disk and
 * make ext4, mount it privately, CreateJob, write SIGNATURE at the filesystem root, unmount. Snowball: CreateAddress +
 * CreateJob (AWS ships its own appliance). --dry-run asks the service to validate and touches no device.
 */
export async function runCreateJob(plan: CreateJobPlan, deps: CreateJobDeps, control: RunControl): Promise<CreateJobResult> {
  const { service, ledger } = deps;
  const { signal, emit } = control;
  const phase = phaseRunner(emit, signal);
  const started = Date.now();
  const title = SERVICE_TITLES[plan.service];

  // Bad input first, all of it local, so it is the only line the operator sees.
  const warnings = checkManifestFor(plan.service, plan.manifest, plan.snowball);
  if (plan.service === 'snowball' && plan.device) throw new UsageError(`${plan.device}: Snowball jobs use an appliance AWS ships to you; leave out <device-path>`);
  if (plan.service === 'importexport' && !plan.device && !plan.dryRun) throw new UsageError('create-job needs <device-path>: the disk you will ship');
  await checkSigningKey(plan.manifest, service);
  const check = plan.device ? await checkExportDevice(plan.device, { allowMounted: plan.skipFormat }) : undefined;
  if (check && !plan.dryRun && !plan.skipFormat && !plan.confirmed) {
    throw new UsageError(`create-job erases ${check.device.path}`, { remedy: 'confirm' });
  }

  emit({ type: 'run-start', runId: ledger.runId, command: `export create-job (${plan.service}${plan.dryRun ? ', dry run' : ''})` });
  emit({ type: 'warning', message: RETIRED_NOTICE[plan.service] });
  for (const message of warnings) emit({ type: 'warning', message });
  const base = { service: plan.service, warnings, artifacts: [], formatted: false, signatureWritten: false, ...(check ? { device: check.device.path } : {}) };

  if (plan.dryRun) {
    const how = plan.service === 'importexport' ? 'CreateJob with ValidateOnly' : 'no job is created';
    const outcome = await phase('validate', `Validate the job with ${title} (${how})`, () => service.validateJob(plan.manifest, signal));
    for (const message of outcome.warnings) emit({ type: 'warning', message: `${title}: ${message}` });
    if (check) emit({ type: 'log', message: `dry run: ${check.device.path} was only looked at, not written` });
    return { ...base, dryRun: true, warnings: [...warnings, ...outcome.warnings], request: outcome.request, elapsedMs: Date.now() - started };
  }

  if (plan.service === 'snowball') {
    await ledger.record({ op: 'intent', kind: 'export-job', detail: 'snowball CreateJob' });
    const job = await phase('create-job', 'Creating AWS Snowball export job', () => service.createJob(plan.manifest, signal));
    await ledger.record({ op: 'created', kind: 'export-job', id: job.jobId, detail: 'snowball' });
    emit({ type: 'resource-created', kind: 'export-job', id: job.jobId, detail: 'snowball' });
    // The job is the result: handed to the operator, not something a clean-up should touch.
    await ledger.record({ op: 'released', kind: 'export-job', id: job.jobId, action: 'kept' });
    emit({ type: 'resource-released', kind: 'export-job', id: job.jobId, action: 'kept' });
    emit({ type: 'log', message: `Job created, id: ${job.jobId}` });
    emit({ type: 'log', message: `when AWS has shipped the appliance: get-job-manifest ${job.jobId} and get-unlock-code ${job.jobId} (store them apart)` });
    return { ...base, dryRun: false, jobId: job.jobId, jobType: job.jobType, ...(job.addressId ? { addressId: job.addressId } : {}), elapsedMs: Date.now() - started };
  }

  return prepareAndCreate(plan, deps, control, check!, { ...base, started });
}

async function prepareAndCreate(
  plan: CreateJobPlan,
  deps: CreateJobDeps,
  control: RunControl,
  check: DeviceCheck,
  base: Omit<CreateJobResult, 'dryRun' | 'elapsedMs'> & { started: number },
): Promise<CreateJobResult> {
  const { service, ledger } = deps;
  const { signal, emit } = control;
  const phase = phaseRunner(emit, signal);
  const cleanups: CleanupStep[] = [];
  const created = async (kind: ResourceKind, id: string, detail?: string): Promise<void> => {
    await ledger.record({ op: 'created', kind, id, ...(detail ? { detail } : {}) });
    emit({ type: 'resource-created', kind, id, ...(detail ? { detail } : {}) });
  };
  const release = async (step: CleanupStep, action: ReleaseAction | 'kept'): Promise<void> => {
    cleanups.splice(cleanups.indexOf(step), 1);
    await ledger.record({ op: 'released', kind: step.kind, id: step.id, action });
    emit({ type: 'resource-released', kind: step.kind, id: step.id, action });
  };
  const device = check.device;
  let jobInFlight = false;
  let failure: unknown;

  try {
    // The service checks the job before the disk is erased: a manifest it would refuse costs no disk.
    await phase('validate', `Validate the job with ${SERVICE_TITLES[plan.service]} (ValidateOnly) before touching ${device.path}`, () =>
      service.validateJob(plan.manifest, signal),
    );

    // The device, checked once more: it may have been mounted while the service answered.
    if (!plan.skipFormat) await checkExportDevice(device.path, { allowMounted: false });
    let fsDevice: string;
    if (plan.skipFormat) {
      const found = await phase('filesystem', `Find the filesystem on ${device.path}`, () => existingFilesystem(device, signal));
      fsDevice = found.path;
      skipPhase(emit, 'mkfs', `Make an ext4 filesystem on ${device.path}`, `not formatting: using the ${found.type} filesystem on ${fsDevice}`);
    } else {
      fsDevice = device.isPartition
        ? device.path
        : await phase('partition', `Partition ${device.path} (new GPT, one partition)`, () => partitionWholeDisk(device, signal));
      await phase('mkfs', `Make an ext4 filesystem on ${fsDevice} (mkfs -t ext4 -m 0)`, () => makeExt4(fsDevice, signal));
    }

    // Mounted privately, unless --skip-format found it mounted already (then it is the operator's, left mounted).
    const existing = plan.skipFormat && check.mounts.length > 0 ? (await mountsOf(await inspectBlockDevice(fsDevice)))[0]?.target : undefined;
    let root: string;
    let mountStep: CleanupStep | undefined;
    let dirStep: CleanupStep | undefined;
    if (existing) {
      root = existing;
      skipPhase(emit, 'mount', `Mount ${fsDevice}`, `already mounted at ${existing}`);
    } else {
      root = await makePrivateDir(deps.tmpDir);
      await created('temp-dir', root);
      dirStep = { title: `Remove ${root}`, kind: 'temp-dir', id: root, run: async () => (await removeDir(root), 'removed') };
      cleanups.push(dirStep);
      mountStep = { title: `Unmount ${root}`, kind: 'mount', id: root, run: async (s) => (await unmountDir(root, s), 'unmounted') };
      // In the clean-up list before mount runs: a mount that appears after a timeout is still undone.
      cleanups.push(mountStep);
      await phase('mount', `Mount ${fsDevice} at ${root}`, async () => {
        await ledger.record({ op: 'intent', kind: 'mount', id: root, detail: fsDevice });
        await mountAt(fsDevice, root, signal);
        await created('mount', root, fsDevice);
      });
    }

    // The job: cancelled again if the SIGNATURE never reaches the disk (a job without it is of no use).
    await ledger.record({ op: 'intent', kind: 'export-job', detail: 'importexport CreateJob' });
    jobInFlight = true;
    const job = await phase('create-job', 'Creating AWS backup job', () => service.createJob(plan.manifest, signal));
    jobInFlight = false;
    await created('export-job', job.jobId, 'importexport');
    const jobStep: CleanupStep = {
      title: `Cancel job ${job.jobId} (its SIGNATURE was not stored)`,
      kind: 'export-job',
      id: job.jobId,
      run: async (s) => (await service.cancelJob(job.jobId, s ?? new AbortController().signal), 'terminated'),
    };
    cleanups.push(jobStep);
    emit({ type: 'log', message: `Job created, id: ${job.jobId}` });
    for (const message of job.warnings) emit({ type: 'warning', message: `${SERVICE_TITLES[plan.service]}: ${message}` });

    await phase('signature', 'Storing AWS Signature on backup device', () => writeSignature(root, job.signatureFileContents!));
    await release(jobStep, 'kept');

    if (mountStep) {
      // Unmount inside the run: a failure to flush is a failed job preparation, not a clean-up warning.
      await phase('unmount', `Unmount ${root}`, () => unmountDir(root, signal));
      await release(mountStep, 'unmounted');
    }
    if (dirStep) {
      await removeDir(root);
      await release(dirStep, 'removed');
    }
    const { started, ...rest } = base;
    return {
      ...rest,
      dryRun: false,
      jobId: job.jobId,
      jobType: job.jobType,
      filesystemDevice: fsDevice,
      formatted: !plan.skipFormat,
      signatureWritten: true,
      warnings: [...base.warnings, ...job.warnings],
      artifacts: job.artifacts,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    const left = await cleanUp(cleanups, ledger, emit, control.cleanupSignal);
    const leftovers = left.map((l) => `${l.kind} ${l.id}`);
    if (jobInFlight && signal.aborted) leftovers.push('a job whose CreateJob was interrupted (check list-jobs)');
    if (leftovers.length > 0) emit({ type: 'warning', message: `left behind: ${leftovers.join(', ')}; run '${cleanupCommand(ledger.runId)}' (a job: check list-jobs)` });
    // A local mount or directory left behind is the run's outcome (exit 4), unless an interrupt says more.
    // eslint-disable-next-line no-unsafe-finally
    if (left.length > 0 && !signal.aborted) throw new LeftBehindError(left, ledger.runId, failure);
  }
}

/** Newest first; one failing step does not stop the others. Returns what could not be released. */
async function cleanUp(steps: CleanupStep[], ledger: RunLedger, emit: Emit, cleanupSignal: AbortSignal | undefined): Promise<Leftover[]> {
  const phase = phaseRunner(emit, cleanupSignal);
  const leftovers: Leftover[] = [];
  for (const step of [...steps].reverse()) {
    if (cleanupSignal?.aborted) {
      leftovers.push({ kind: step.kind, id: step.id });
      continue;
    }
    try {
      const action = await phase(`cleanup:${step.kind}`, step.title, () => step.run(cleanupSignal));
      await ledger.record({ op: 'released', kind: step.kind, id: step.id, action });
      emit({ type: 'resource-released', kind: step.kind, id: step.id, action });
    } catch (error) {
      if (error instanceof InterruptedError) leftovers.push({ kind: step.kind, id: step.id });
      else {
        emit({ type: 'warning', message: `${step.title} failed: ${describeError(error)}` });
        leftovers.push({ kind: step.kind, id: step.id });
      }
    }
  }
  return leftovers;
}
