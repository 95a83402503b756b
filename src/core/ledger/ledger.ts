import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { ResourceKind } from '../events.js';
import { processAlive } from '../../util/process-alive.js';

/**
 * The run ledger: every resource a run creates is written here (and fsync'd) before it is used,
 * so a crash or a kill -9 still leaves a record that `offsite cleanup` can act on.
 */
export interface LedgerEntry {
  time: string;
  runId: string;
  /** intent: about to create (with the idempotency token); created: exists; released: gone or handed over. */
  op: 'intent' | 'created' | 'released';
  kind: ResourceKind;
  id?: string;
  region?: string;
  clientToken?: string;
  /** A resource the user named (never deleted by us). */
  userOwned?: boolean;
  action?: string;
  detail?: string;
  /** The process that wrote the line, and where: tells a live run from a dead one. */
  pid?: number;
  host?: string;
}

export type LedgerRecord = Omit<LedgerEntry, 'time' | 'runId' | 'pid' | 'host'>;

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OFFSITE_STATE_DIR) return env.OFFSITE_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'offsite');
}

export class RunLedger {
  private constructor(
    readonly runId: string,
    readonly path: string,
  ) {}

  static async open(runId: string, dir = stateDir()): Promise<RunLedger> {
    const runs = join(dir, 'runs');
    await mkdir(runs, { recursive: true, mode: 0o700 });
    return new RunLedger(runId, join(runs, `${runId}.jsonl`));
  }

  async record(entry: LedgerRecord): Promise<void> {
    const line = JSON.stringify({ time: new Date().toISOString(), runId: this.runId, ...entry, pid: process.pid, host: hostname() }) + '\n';
    await appendFile(this.path, line, { mode: 0o600 });
    const handle = await open(this.path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async entries(): Promise<LedgerEntry[]> {
    return parseLedger(await readFile(this.path, 'utf8').catch(() => ''));
  }
}

export function parseLedger(text: string): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as LedgerEntry);
    } catch {
      // A torn last line from a crash: everything before it still counts.
    }
  }
  return entries;
}

/** The id a ledger gives an upload whose creation was asked for and never answered (the process was killed). */
export const PENDING_UPLOAD = 'pending:';

/**
 * Resources created and never released, per run: what a cleanup has to look at. A multipart upload that was
 * asked for (intent with a client token) and never answered counts too, as `pending:<token>` with the intent's
 * detail: S3 may have made it, and only a listing of its key can tell.
 */
export function outstanding(entries: LedgerEntry[]): LedgerEntry[] {
  return [...openEntries(entries).values()];
}

/** Like {@link outstanding}, keyed by `kind:id`; `keep` says which of a resource's `created` records stands for it. */
export function openEntries(entries: LedgerEntry[], keep: 'first' | 'last' = 'last'): Map<string, LedgerEntry> {
  const open = new Map<string, LedgerEntry>();
  for (const entry of entries) {
    const pending = entry.kind === 'multipart-upload' && entry.clientToken ? `${entry.kind}:${PENDING_UPLOAD}${entry.clientToken}` : undefined;
    if (pending && entry.op === 'intent') open.set(pending, { ...entry, op: 'created', id: `${PENDING_UPLOAD}${entry.clientToken}` });
    if (pending && entry.op === 'created') open.delete(pending);
    if (!entry.id) continue;
    const key = `${entry.kind}:${entry.id}`;
    if (entry.op === 'created' && (keep === 'last' || !open.has(key))) open.set(key, entry);
    if (entry.op === 'released') open.delete(key);
  }
  return open;
}

export async function listRuns(dir = stateDir()): Promise<string[]> {
  const names = await readdir(join(dir, 'runs')).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -'.jsonl'.length)).sort();
}

/**
 * Whether a run's process is running: alive or dead when its ledger on this machine says which process it was,
 * unknown when the run's ledger is not here (another machine, or a lost state directory).
 */
export async function runProcessState(runId: string, dir = stateDir()): Promise<'alive' | 'dead' | 'unknown'> {
  const entries = parseLedger(await readFile(join(dir, 'runs', `${runId}.jsonl`), 'utf8').catch(() => ''));
  // The first line is always the run's own; later ones may be a cleanup closing its leftovers.
  const own = entries.find((e) => e.pid !== undefined);
  if (!own || own.host !== hostname()) return entries.length > 0 && !own ? 'dead' : 'unknown';
  return own.pid !== process.pid && processAlive(own.pid!) ? 'alive' : 'dead';
}

/** Whether the run's process is still running on this machine (false when its ledger is elsewhere or gone). */
export async function runProcessAlive(runId: string, dir = stateDir()): Promise<boolean> {
  return (await runProcessState(runId, dir)) === 'alive';
}

/** A record's `detail` read as the JSON object it carries (an upload's descriptor, say); empty when it is not one. */
export function entryDetail(entry: LedgerEntry): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(entry.detail ?? '');
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
