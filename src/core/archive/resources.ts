import { describeError } from '../../errors.js';
import type { ResourceKind } from '../events.js';
import type { RunLedger } from '../ledger/ledger.js';
import type { Leftover } from '../left-behind.js';
import { phaseRunner, type Emit } from '../phases.js';
import { throwIfAborted } from '../../util/poll.js';

export type ReleaseAction = 'unmounted' | 'removed' | 'deleted' | 'closed';

export interface Held {
  kind: ResourceKind;
  id: string;
  /** The clean-up step's title: "Unmount /tmp/…", "Delete snapshot …". */
  title: string;
  release: (signal: AbortSignal | undefined) => Promise<ReleaseAction>;
}

/**
 * What a run holds (lock, snapshot, mount point, mounts, a half-written archive), released newest first.
 * Each is in the ledger before it is used; under --noop nothing is held, but the releases still run so the
 * plan shows the teardown commands.
 */
export class ResourceStack {
  private readonly held: Held[] = [];

  constructor(
    private readonly emit: Emit,
    private readonly ledger: RunLedger | undefined,
    private readonly noop: boolean,
  ) {}

  /**
   * Holds what a command just made. Making commands run without the abort signal (they are quick) so that
   * what they made always reaches the stack; a Ctrl-C that came meanwhile is raised here, once it is held.
   */
  async add(item: Held, detail?: string, signal?: AbortSignal): Promise<void> {
    this.held.push(item);
    if (!this.noop) {
      await this.ledger?.record({ op: 'created', kind: item.kind, id: item.id, ...(detail ? { detail } : {}) });
      this.emit({ type: 'resource-created', kind: item.kind, id: item.id, ...(detail ? { detail } : {}) });
    }
    throwIfAborted(signal);
  }

  /** Hands a resource over (a finished archive is no longer something to clean up). */
  async keep(id: string): Promise<void> {
    const index = this.held.findIndex((h) => h.id === id);
    if (index < 0) return;
    const [item] = this.held.splice(index, 1);
    if (!this.noop) {
      await this.ledger?.record({ op: 'released', kind: item!.kind, id, action: 'kept' });
      this.emit({ type: 'resource-released', kind: item!.kind, id, action: 'kept' });
    }
  }

  /** Releases everything newest first, down to `downTo` items left; after a failure the rest is left for the operator. */
  async releaseAll(signal: AbortSignal | undefined, downTo = 0): Promise<Leftover[]> {
    const phase = this.noop ? <T>(_id: string, _title: string, work: () => Promise<T>) => work() : phaseRunner(this.emit, signal);
    const leftovers: Leftover[] = [];
    while (this.held.length > downTo) {
      const item = this.held.pop()!;
      // What lies under a failed step (the snapshot under a mount that stays busy) is left alone.
      if (signal?.aborted || leftovers.length > 0) {
        if (!signal?.aborted) this.emit({ type: 'warning', message: `${item.title}: not attempted, a step above it failed` });
        leftovers.push({ kind: item.kind, id: item.id });
        continue;
      }
      try {
        const action = await phase(`cleanup:${item.kind}`, item.title, () => item.release(signal));
        if (!this.noop) {
          await this.ledger?.record({ op: 'released', kind: item.kind, id: item.id, action });
          this.emit({ type: 'resource-released', kind: item.kind, id: item.id, action });
        }
      } catch (error) {
        this.emit({ type: 'warning', message: `${item.title} failed: ${describeError(error)}` });
        leftovers.push({ kind: item.kind, id: item.id });
      }
    }
    return leftovers;
  }

  get size(): number {
    return this.held.length;
  }
}
