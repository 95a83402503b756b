import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { PENDING_UPLOAD, entryDetail, listRuns, outstanding, parseLedger, type LedgerEntry } from '../ledger/ledger.js';
import type { CleanupItem } from './item.js';
import type { RunVerdicts } from './runs.js';

/** What the ledger knows and the EC2 tags do not: uploads, staged copies, local mounts, temp dirs, locks. */
const LEDGER_KINDS = new Set(['multipart-upload', 'staging-area', 'temp-dir', 'lock', 'mount', 'loop-device', 'crypt-mapping', 'snapshot']);

/** How to remove by hand what offsite does not remove itself. */
const BY_HAND: Record<string, string> = { 'loop-device': 'losetup -d', 'crypt-mapping': 'cryptsetup close', snapshot: 'lvremove or btrfs subvolume delete; the next archive run also clears it' };

export interface LedgerLeftover {
  runId: string;
  entry: LedgerEntry;
}

/** Entries of every run (or one) that were created and never released. */
export async function ledgerLeftovers(stateDir: string, onlyRun?: string): Promise<LedgerLeftover[]> {
  const found: LedgerLeftover[] = [];
  for (const runId of await listRuns(stateDir)) {
    if (onlyRun && runId !== onlyRun) continue;
    const text = await readFile(join(stateDir, 'runs', `${runId}.jsonl`), 'utf8').catch(() => '');
    for (const entry of outstanding(parseLedger(text))) found.push({ runId, entry });
  }
  return found;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function mountedHere(path: string): Promise<boolean> {
  const table = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return table.split('\n').some((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === path);
}

/**
 * The verdict on one ledger leftover. Things on the instance (a remote mount, the data channel) went with it
 * and EC2 resources are judged by their tags, so those are not listed from the ledger; a local resource that
 * is already gone is listed as nothing to do (and closed in the ledger by --yes).
 */
export async function judgeLedgerLeftover(leftover: LedgerLeftover, runs: RunVerdicts): Promise<CleanupItem | undefined> {
  const { runId, entry } = leftover;
  if (!LEDGER_KINDS.has(entry.kind) || !entry.id) return undefined;
  const id = entry.id;
  const detail = entryDetail(entry);
  const base = { kind: entry.kind, id, runId, created: entry.time, ...(entry.region ? { region: entry.region } : {}) };
  const verdict = await runs.verdict(runId);
  const waiting = (): CleanupItem => ({ ...base, action: 'keep', removable: false, left: verdict.left, reason: verdict.why, ...(verdict.advice ? { advice: verdict.advice } : {}) });

  switch (entry.kind) {
    case 'multipart-upload': {
      if (typeof detail.bucket !== 'string' || typeof detail.key !== 'string') return { ...base, action: 'by-hand', removable: false, left: true, reason: 'the ledger does not say which bucket and key; abort it with the S3 console or CLI' };
      if (!verdict.over) return waiting();
      const what = id.startsWith(PENDING_UPLOAD) ? 'an upload asked for as the run was killed (S3 may hold it)' : 'unfinished upload';
      return { ...base, action: 'abort', removable: true, left: true, reason: `${what} to s3://${detail.bucket}/${detail.key} (billed as stored), and ${verdict.why}`, detail: { bucket: detail.bucket, key: detail.key, since: entry.time } };
    }
    case 'staging-area': {
      const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(id);
      if (!match) return undefined;
      if (!verdict.over) return waiting();
      return { ...base, action: 'delete', removable: true, left: true, reason: `staged copies of an unfinished upload, and ${verdict.why}`, detail: { bucket: match[1]!, prefix: match[2]! } };
    }
    case 'temp-dir':
    case 'lock': {
      // Only local paths: the EBS data channel's "temp dir" lives in the run's own process.
      if (!isAbsolute(id)) return undefined;
      if (!(await exists(id))) return { ...base, action: 'keep', removable: false, left: false, reason: 'already gone' };
      if (!verdict.over) return waiting();
      if (entry.kind === 'temp-dir' && !basename(id).startsWith('offsite-')) return { ...base, action: 'by-hand', removable: false, left: true, reason: 'not a directory offsite names; remove it by hand' };
      return { ...base, action: 'remove', removable: true, left: true, reason: `${entry.kind === 'lock' ? 'a lock file' : 'a temporary directory'} of a run that is over (${verdict.why})` };
    }
    case 'mount': {
      if (!isAbsolute(id)) return undefined; // on the instance: gone with it
      if (!(await mountedHere(id))) return { ...base, action: 'keep', removable: false, left: false, reason: 'no longer mounted' };
      if (!verdict.over) return waiting();
      return { ...base, action: 'unmount', removable: true, left: true, reason: `still mounted, and ${verdict.why}` };
    }
    default:
      if (!verdict.over) return waiting();
      return { ...base, action: 'by-hand', removable: false, left: true, reason: `${verdict.why}; remove it by hand (${BY_HAND[entry.kind] ?? 'see its kind'})` };
  }
}
