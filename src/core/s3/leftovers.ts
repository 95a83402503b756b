import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResourceKind } from '../events.js';
import { RunLedger, entryDetail, listRuns, openEntries, parseLedger } from '../ledger/ledger.js';

/** The ledger detail of a multipart upload: where it goes, and which bytes it holds. */
export interface UploadDescriptor {
  bucket: string;
  key: string;
  session: string;
  /** The local file (path below the source) and what its plaintext was when the upload began. */
  file: string;
  size: number;
  sha256: string;
  partSize: number;
  algorithm: string;
  encryption: string;
}

/** Something an earlier run of this session created and never released (it was killed or failed). */
export interface Leftover {
  runId: string;
  kind: ResourceKind;
  id: string;
  /** The detail of the first `created` record: for an upload, its descriptor. */
  detail: Record<string, unknown>;
}

const KINDS: ResourceKind[] = ['multipart-upload', 'staging-area', 'temp-dir', 'lock'];

/** Reads every earlier run's ledger for resources of this session that were never released. */
export async function sessionLeftovers(stateDir: string, session: string, currentRunId: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const runId of await listRuns(stateDir)) {
    if (runId === currentRunId) continue;
    const text = await readFile(join(stateDir, 'runs', `${runId}.jsonl`), 'utf8').catch(() => '');
    if (!text.includes(session)) continue;
    for (const entry of openEntries(parseLedger(text), 'first').values()) {
      if (!KINDS.includes(entry.kind)) continue;
      const detail = entryDetail(entry);
      if (detail.session === session) found.push({ runId, kind: entry.kind, id: entry.id!, detail: { ...detail, since: entry.time } });
    }
  }
  return found;
}

/** Marks a leftover released in the ledger of the run that made it (taken over, aborted or removed by `by`). */
export async function closeLeftover(stateDir: string, leftover: Leftover, action: string, by: string): Promise<void> {
  const ledger = await RunLedger.open(leftover.runId, stateDir);
  await ledger.record({ op: 'released', kind: leftover.kind, id: leftover.id, action, detail: `by run ${by}` });
}

export function asDescriptor(detail: Record<string, unknown>): UploadDescriptor | undefined {
  const d = detail as Partial<UploadDescriptor>;
  if (typeof d.bucket !== 'string' || typeof d.key !== 'string' || typeof d.file !== 'string' || typeof d.sha256 !== 'string') return undefined;
  if (typeof d.size !== 'number' || typeof d.partSize !== 'number') return undefined;
  return d as UploadDescriptor;
}
