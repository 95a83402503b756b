import { setTimeout as delay } from 'node:timers/promises';
import type { EC2Client, Instance, Volume } from '@aws-sdk/client-ec2';
import type { EventInput, ResourceKind } from '../events.js';
import { OffsiteError, UsageError, describeError } from '../../errors.js';
import type { RunLedger } from '../ledger/ledger.js';
import { LeftBehindError, cleanupCommand, describeLeftovers, type Leftover } from '../left-behind.js';
import { phaseRunner, type Emit } from '../phases.js';
import type { RunControl } from '../run-control.js';
import { openBulkTransport, type BulkTransport, type TransportChoice } from '../../ssh/bulk-transport.js';
import type { SshOptions, SshSession } from '../../ssh/types.js';
import { connectVerified } from './connect.js';
import { resolveDevice } from './device.js';
import { SideBySide } from './side-by-side.js';
import {
  DEFAULT_INSTANCE_TYPE,
  chooseImage,
  instanceAddress,
  launchInstance,
  readConsoleOutput,
  subnetZone,
  terminateInstance,
  waitForRunning,
  type ChosenImage,
} from './launch.js';
import type { InstanceOverrides, PhaseTimeouts } from '../ebs/plan.js';
import { unmountDevice } from '../ebs/rsync-transfer.js';
import { liveRunInstances, runBackupVolumes } from './sweep.js';
import { ATTACH_DEVICE, attachVolume, createVolume, deleteVolume, detachIfAttached, waitForAvailable, type CreateVolumeRequest } from './volume.js';

export type ReleaseAction = 'terminated' | 'deleted' | 'detached' | 'unmounted' | 'closed' | 'kept' | 'removed';

export interface CleanupStep {
  title: string;
  kind: ResourceKind;
  id: string;
  run: (signal: AbortSignal | undefined) => Promise<ReleaseAction | undefined>;
}

export interface LifecycleDeps {
  ec2: EC2Client;
  ledger: RunLedger;
  /** Where the instance's console text comes from (GetConsoleOutput); a seam for tests. */
  readConsole?: (instanceId: string) => Promise<string>;
}

/** What every run on a temporary instance needs, whatever it does there (back up, verify). */
export interface LifecycleSettings {
  instance: InstanceOverrides;
  ssh: SshOptions;
  timeouts: PhaseTimeouts;
  transport: TransportChoice;
  selfDestructMinutes: number;
  createdBy: string;
}

export interface Placement {
  zone?: string;
  image: ChosenImage;
  instanceType: string;
}

export interface Connection {
  session: SshSession;
  transport: BulkTransport;
  address: string;
}

export interface Launched {
  instance: Instance;
  instanceId: string;
  zone: string;
}

/** A volume the run makes for itself: its phase title, the request, and what it is for (said when it is deleted). */
export interface OwnedVolume {
  title: string;
  request: Omit<CreateVolumeRequest, 'runId' | 'createdBy' | 'clientToken'>;
  purpose: string;
}

/** The volume a run works on: one that exists (the user's), or one made in the instance's zone. */
export type VolumeToAttach = { volumeId: string } | { create: (zone: string) => OwnedVolume };

/** An instance running with the volume attached, an SSH session and data channel to it, and the volume's device. */
export interface BroughtUp extends Launched, Connection {
  volumeId: string;
  device: string;
}

/**
 * The temporary instance and everything hung on it (volume attachment, SSH session, data channel), with one
 * clean-up stack. Every resource is recorded in the ledger before use and released by `finish`, newest first,
 * one failing step not stopping the others; a safety net then looks for anything tagged with the run that the
 * steps did not know about. Shared by the EBS backup and the EBS verification, so both give the same guarantees.
 */
export class InstanceLifecycle {
  private readonly steps: CleanupStep[] = [];
  private launchAttempted = false;
  /** RunInstances answered with an id: false while the call is out (or was cut short by an interrupt). */
  private launchAnswered = false;
  private readonly phase: ReturnType<typeof phaseRunner>;

  constructor(
    private readonly deps: LifecycleDeps,
    private readonly control: RunControl,
    private readonly settings: LifecycleSettings,
  ) {
    this.phase = phaseRunner(control.emit, control.signal);
  }

  get runId(): string {
    return this.deps.ledger.runId;
  }

  async created(kind: ResourceKind, id: string, detail?: string, userOwned = false): Promise<void> {
    const region = await this.region();
    await this.deps.ledger.record({ op: 'created', kind, id, region, ...(userOwned ? { userOwned } : {}), ...(detail ? { detail } : {}) });
    this.control.emit({ type: 'resource-created', kind, id, ...(detail ? { detail } : {}) });
  }

  addCleanup(step: CleanupStep): void {
    this.steps.push(step);
  }

  /** Takes a step off the stack because the run released (or handed over) the resource itself. */
  async releasedByRun(kind: ResourceKind, id: string, action: ReleaseAction): Promise<void> {
    const index = this.steps.findIndex((step) => step.kind === kind && step.id === id);
    if (index < 0) return;
    this.steps.splice(index, 1);
    await releasedNow(this.deps.ledger, this.control.emit, kind, id, action);
  }

  /** The instance must run where the volume is; a placement or subnet elsewhere is a usage error, found before launching. */
  zoneForVolume(volume: Volume): string | undefined {
    const wanted = this.settings.instance.availabilityZone;
    if (wanted && wanted !== volume.AvailabilityZone) {
      throw new UsageError(`conflicts with ${volume.VolumeId}, which is in ${volume.AvailabilityZone}`, { input: 'placement', value: `AvailabilityZone=${wanted}` });
    }
    return volume.AvailabilityZone;
  }

  async choosePlacement(zoneWanted: string | undefined): Promise<Placement> {
    const { ec2 } = this.deps;
    const overrides = this.settings.instance;
    let zone = zoneWanted ?? overrides.availabilityZone;
    if (overrides.subnetId) {
      const subnetAz = await subnetZone(ec2, overrides.subnetId);
      if (zone && subnetAz !== zone) {
        throw new UsageError(`in ${subnetAz}, but the volume/placement needs ${zone}`, { input: 'subnetId', value: overrides.subnetId });
      }
      zone = subnetAz;
    }
    const instanceType = overrides.instanceType ?? DEFAULT_INSTANCE_TYPE;
    const image = await chooseImage(ec2, overrides, instanceType);
    return { ...(zone ? { zone } : {}), image, instanceType };
  }

  /**
   * Launches the instance and waits until it runs. `onLaunched` hears the instance's zone as soon as EC2 has
   * answered RunInstances, so work that needs only the zone (a new volume) can go on while it boots.
   */
  async launch(placement: Placement, options: { signal?: AbortSignal; onLaunched?: (zone: string) => void } = {}): Promise<Launched> {
    const { ec2, ledger } = this.deps;
    const { image, instanceType, zone } = placement;
    const { timeouts } = this.settings;
    const signal = options.signal ?? this.control.signal;
    const instanceToken = `${this.runId}-instance`;
    // Its own runner: a step stopped because the one beside it failed ends as cancelled, not failed.
    const phase = phaseRunner(this.control.emit, signal);
    const instance = await phase('instance', `Launch ${instanceType} instance${zone ? ` in ${zone}` : ''}`, async () => {
      await ledger.record({ op: 'intent', kind: 'instance', clientToken: instanceToken });
      this.launchAttempted = true;
      const launched = await launchInstance(
        ec2,
        {
          image,
          instanceType,
          ...(zone ? { availabilityZone: zone } : {}),
          overrides: this.settings.instance,
          runId: this.runId,
          createdBy: this.settings.createdBy,
          selfDestructMinutes: this.settings.selfDestructMinutes,
          clientToken: instanceToken,
        },
        signal,
      );
      const id = launched.InstanceId!;
      this.launchAnswered = true;
      await this.created('instance', id, `${instanceType} ${image.imageId}`);
      this.addCleanup({
        title: `Terminate ${id}`,
        kind: 'instance',
        id,
        run: async (s) => {
          await terminateInstance(ec2, id, timeouts.cleanupMs, s);
          return 'terminated';
        },
      });
      const launchedZone = launched.Placement?.AvailabilityZone ?? zone;
      if (launchedZone) options.onLaunched?.(launchedZone);
      return waitForRunning(ec2, id, timeouts.instanceRunningMs, signal);
    });
    const instanceId = instance.InstanceId!;
    const instanceZone = instance.Placement?.AvailabilityZone ?? zone;
    if (!instanceZone) throw new OffsiteError(`${instanceId} reports no Availability Zone`);
    return { instance, instanceId, zone: instanceZone };
  }

  async attach(volumeId: string, instanceId: string, signal: AbortSignal = this.control.signal): Promise<void> {
    const { ec2 } = this.deps;
    const { timeouts } = this.settings;
    const phase = phaseRunner(this.control.emit, signal);
    await phase('attach', `Attach ${volumeId} to ${instanceId}`, async () => {
      const attachmentId = `${volumeId}@${instanceId}`;
      // Owned before it is asked for: an interrupted request may still attach the volume.
      await this.created('attachment', attachmentId, ATTACH_DEVICE);
      this.addCleanup({
        title: `Detach ${volumeId}`,
        kind: 'attachment',
        id: attachmentId,
        run: async (s) => {
          await detachIfAttached(ec2, volumeId, instanceId, timeouts.cleanupMs, s);
          return 'detached';
        },
      });
      await attachVolume(ec2, volumeId, instanceId, timeouts.volumeMs, signal);
    });
  }

  /**
   * A volume this run creates and owns until it says otherwise: the intent is in the ledger before the call, the
   * volume is recorded and put on the clean-up stack (deleted) as soon as it exists, then awaited until available.
   */
  async createOwnedVolume(volume: OwnedVolume, signal: AbortSignal = this.control.signal): Promise<string> {
    const { ec2, ledger } = this.deps;
    const { timeouts } = this.settings;
    const { title, request, purpose } = volume;
    const phase = phaseRunner(this.control.emit, signal);
    return phase('volume', title, async () => {
      const token = `${this.runId}-volume`;
      await ledger.record({ op: 'intent', kind: 'volume', clientToken: token });
      const id = await createVolume(ec2, { ...request, runId: this.runId, createdBy: this.settings.createdBy, clientToken: token }, signal);
      await this.created('volume', id, request.snapshotId ? `from ${request.snapshotId} in ${request.availabilityZone}` : `${request.sizeGiB} GiB gp3 ${request.availabilityZone}`);
      this.addCleanup({
        title: `Delete ${id} (${purpose})`,
        kind: 'volume',
        id,
        run: async (s) => {
          await deleteVolume(ec2, id, timeouts.cleanupMs, s);
          return 'deleted';
        },
      });
      await waitForAvailable(ec2, id, timeouts.volumeMs, signal);
      return id;
    });
  }

  /**
   * Everything a run on an instance needs before its own work: the instance, the volume attached, SSH, the device.
   * What does not depend on the step before runs beside it: a new volume is made while the instance boots (it needs
   * only the zone) and the SSH connection opens while the volume attaches — on EC2, seconds to minutes each.
   */
  async bringUp(placement: Placement, volume: VolumeToAttach): Promise<BroughtUp> {
    const booting = new SideBySide(this.control.signal);
    let made: Promise<string> | undefined;
    const makeVolume = (zone: string): void => {
      if ('create' in volume) made = booting.run((signal) => this.createOwnedVolume(volume.create(zone), signal));
    };
    const launched = booting.run((signal) => this.launch(placement, { signal, onLaunched: makeVolume }));
    await booting.settled();
    const { instance, instanceId, zone } = await launched;
    // EC2 named no zone until the instance ran: the volume is made now.
    if ('create' in volume && !made) makeVolume(zone);
    const volumeId = 'create' in volume ? await made! : volume.volumeId;

    const attaching = new SideBySide(this.control.signal);
    attaching.run((signal) => this.attach(volumeId, instanceId, signal));
    const connecting = attaching.run((signal) => this.connect(instance, placement.image, signal));
    await attaching.settled();
    const connection = await connecting;
    const device = await this.findDevice(connection.session, volumeId);
    return { instance, instanceId, zone, volumeId, device, ...connection };
  }

  /** SSH with a verified host key, then the bulk data channel. */
  async connect(instance: Instance, image: ChosenImage, signal: AbortSignal = this.control.signal): Promise<Connection> {
    const { ssh, timeouts } = this.settings;
    const { emit } = this.control;
    const instanceId = instance.InstanceId!;
    const address = ssh.hostName ?? instanceAddress(instance);
    if (!address) throw new OffsiteError(`${instanceId} has no address to connect to (no public DNS/IP); pass -o HostName=… in EC2_BACKUP_FLAGS_SSH`);
    const readConsole = this.deps.readConsole ?? ((id: string) => readConsoleOutput(this.deps.ec2, id));
    const phase = phaseRunner(emit, signal);
    const session = await phase('ssh', `Connect to ${address} over SSH`, async () => {
      const connected = await connectVerified({
        address,
        options: ssh,
        defaultUser: ssh.user ?? image.defaultUser,
        instanceId,
        readConsole: () => readConsole(instanceId),
        timeouts,
        signal,
        emit,
      });
      await this.created('ssh-session', `${connected.user}@${address}:${connected.port}`);
      this.addCleanup({
        title: 'Close SSH session',
        kind: 'ssh-session',
        id: `${connected.user}@${address}:${connected.port}`,
        run: async () => {
          await connected.close();
          return 'closed';
        },
      });
      return connected;
    });
    const transport = await openBulkTransport(session, ssh, this.settings.transport);
    // OpenSSH's directory is in the ledger, so `offsite cleanup` removes it after a kill -9.
    const channel = transport.tempDir ?? `${transport.name}-transport`;
    if (transport.tempDir) await this.created('temp-dir', transport.tempDir, 'the data channel');
    this.addCleanup({
      title: 'Close the data channel',
      kind: 'temp-dir',
      id: channel,
      run: async () => {
        await transport.close();
        return transport.tempDir ? 'removed' : undefined;
      },
    });
    emit({
      type: 'log',
      message:
        transport.name !== 'openssh'
          ? 'data moves over the ssh2 session'
          : ssh.strictHostKeyChecking === 'no'
            ? 'data moves over OpenSSH, pinned to the host key the session accepted (not verified: StrictHostKeyChecking=no)'
            : 'data moves over OpenSSH, pinned to the verified host key',
    });
    return { session, transport, address };
  }

  /**
   * Mounts a filesystem on the instance (`mount` does it) and holds it: the clean-up unmounts it unless the run
   * does first with the returned function — inside the run, so a failure to flush is the run's failure.
   */
  async holdMount(session: SshSession, address: string, device: string, mountPoint: string, title: string, mount: () => Promise<void>): Promise<() => Promise<void>> {
    const id = `${address}:${mountPoint}`;
    const { timeouts } = this.settings;
    await this.phase('mount', title, async () => {
      // Owned before the command runs: an interrupted `mount` may still have mounted (unmounting is idempotent).
      await this.created('mount', id, device);
      this.addCleanup({
        title: `Unmount ${mountPoint}`,
        kind: 'mount',
        id,
        run: async (s) => {
          await unmountDevice(session, mountPoint, timeouts.cleanupMs, s);
          return 'unmounted';
        },
      });
      await mount();
    });
    return async () => {
      await this.phase('unmount', `Unmount ${mountPoint}`, () => unmountDevice(session, mountPoint, timeouts.cleanupMs, this.control.signal));
      await this.releasedByRun('mount', id, 'unmounted');
    };
  }

  async findDevice(session: SshSession, volumeId: string): Promise<string> {
    const device = await this.phase('device', `Find ${volumeId} on the instance`, () =>
      resolveDevice(session, volumeId, ATTACH_DEVICE, this.settings.timeouts.deviceMs, this.control.signal),
    );
    this.control.emit({ type: 'log', message: `${volumeId} is ${device} on the instance` });
    return device;
  }

  /** The region the run works in (the EC2 client's), recorded with every resource. */
  async region(): Promise<string> {
    return this.deps.ec2.config.region();
  }

  /**
   * Releases everything, newest first. `completed`: the run's work is done, so volumes tagged with the run are
   * the user's now and the safety net leaves them alone. When something is left, this warns and throws a
   * LeftBehindError carrying the run's own failure (or result), so the exit code says so.
   */
  async finish(completed: boolean, outcome: { failure?: unknown; result?: object } = {}): Promise<void> {
    const leftovers = await cleanUp(this.steps, {
      ledger: this.deps.ledger,
      emit: this.control.emit,
      ec2: this.deps.ec2,
      runId: this.runId,
      launchAttempted: this.launchAttempted,
      launchCutShort: this.launchAttempted && !this.launchAnswered,
      completed,
      cleanupSignal: this.control.cleanupSignal,
      timeoutMs: this.settings.timeouts.cleanupMs,
    });
    if (leftovers.length === 0) return;
    const region = await this.region().catch(() => undefined);
    const listed: Leftover[] = leftovers.map((l) => ({ ...l, ...(region ? { region } : {}) }));
    this.control.emit({ type: 'warning', message: `left behind: ${describeLeftovers(listed)}; run '${cleanupCommand(this.runId)}'` });
    throw new LeftBehindError(listed, this.runId, outcome.failure, outcome.result);
  }
}

/** The SSH session and an ssh2 data channel (no files of its own) end with this process. */
function endsWithProcess(step: CleanupStep): boolean {
  return step.kind === 'ssh-session' || (step.kind === 'temp-dir' && step.id.endsWith('-transport'));
}

async function releasedNow(ledger: RunLedger, emit: (event: EventInput) => void, kind: ResourceKind, id: string, action: ReleaseAction): Promise<void> {
  await ledger.record({ op: 'released', kind, id, action });
  emit({ type: 'resource-released', kind, id, action });
}

/** Runs the clean-up steps newest first; one failing step does not stop the others. Returns what is left. */
async function cleanUp(
  steps: CleanupStep[],
  context: {
    ledger: RunLedger;
    emit: Emit;
    ec2: EC2Client;
    runId: string;
    launchAttempted: boolean;
    launchCutShort: boolean;
    completed: boolean;
    cleanupSignal: AbortSignal | undefined;
    timeoutMs: number;
  },
): Promise<Omit<Leftover, 'region'>[]> {
  const { ledger, emit, ec2, runId, cleanupSignal } = context;
  const phase = phaseRunner(emit, cleanupSignal);
  const leftovers: Omit<Leftover, 'region'>[] = [];
  const handled = new Set<string>();
  let instanceGone = false;
  // A mount lives on the instance: once the instance is terminated, a mount that could not be undone (its SSH
  // session lost) is gone with it and is nothing to clean up.
  const stillThere = (): Omit<Leftover, 'region'>[] => (instanceGone ? leftovers.filter((l) => l.kind !== 'mount') : leftovers);
  for (const step of [...steps].reverse()) {
    handled.add(step.id);
    if (cleanupSignal?.aborted) {
      if (!endsWithProcess(step)) leftovers.push({ kind: step.kind, id: step.id });
      continue;
    }
    try {
      const action = await phase(`cleanup:${step.kind}`, step.title, () => step.run(cleanupSignal));
      if (action) await releasedNow(ledger, emit, step.kind, step.id, action);
      if (step.kind === 'instance' && action === 'terminated') instanceGone = true;
    } catch (error) {
      emit({ type: 'warning', message: `${step.title} failed: ${describeError(error)}` });
      if (!endsWithProcess(step)) leftovers.push({ kind: step.kind, id: step.id });
    }
  }
  if (!context.launchAttempted || cleanupSignal?.aborted) return stillThere();
  // Safety net: anything tagged with this run that the steps above did not know about
  // (an interrupted RunInstances/CreateVolume call that never returned its id).
  try {
    const found = context.launchCutShort ? await instancesOfCutShortLaunch(ec2, runId, cleanupSignal) : await liveRunInstances(ec2, runId);
    for (const id of found) {
      if (handled.has(id)) continue;
      await ledger.record({ op: 'created', kind: 'instance', id, detail: 'found by run tag' });
      await phase('cleanup:instance', `Terminate ${id} (found by run tag)`, () => terminateInstance(ec2, id, context.timeoutMs, cleanupSignal));
      await releasedNow(ledger, emit, 'instance', id, 'terminated');
    }
    if (!context.completed) {
      for (const volume of await runBackupVolumes(ec2, runId)) {
        if (handled.has(volume.id) || (volume.state !== 'available' && volume.state !== 'creating')) continue;
        await ledger.record({ op: 'created', kind: 'volume', id: volume.id, detail: 'found by run tag' });
        await phase('cleanup:volume', `Delete ${volume.id} (found by run tag)`, async () => {
          // A CreateVolume cut short may leave it still being made: it can be deleted once it is available.
          if (volume.state === 'creating') await waitForAvailable(ec2, volume.id, context.timeoutMs, cleanupSignal);
          await deleteVolume(ec2, volume.id, context.timeoutMs, cleanupSignal);
        });
        await releasedNow(ledger, emit, 'volume', volume.id, 'deleted');
      }
    }
  } catch (error) {
    emit({ type: 'warning', message: `could not check for this run's leftovers: ${describeError(error)}` });
    leftovers.push({ kind: 'instance', id: `any tagged offsite:run-id=${runId}` });
  }
  return stillThere();
}

/**
 * The run's instances after a RunInstances that an interrupt cut short: the request may still be carried out after
 * we stopped waiting for its answer, so the look is repeated for a few seconds before nothing counts as nothing.
 */
async function instancesOfCutShortLaunch(ec2: EC2Client, runId: string, signal: AbortSignal | undefined): Promise<string[]> {
  for (const wait of [0, 500, 1_000, 2_000, 4_000]) {
    if (wait > 0) await delay(wait, undefined, signal ? { signal } : undefined);
    const found = await liveRunInstances(ec2, runId);
    if (found.length > 0) return found;
  }
  return [];
}
