/**
 * Each mode's live task list comes from a phase list next to its core: these read the core's source for the phase
 * ids it emits (phase(...), skipPhase(...), hand-made phase-start events) and check both ways — every id the core
 * may emit has a row (or a family) in the list, and every listed row is a phase the core really emits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archivePhases } from '../../../src/core/archive/phases.js';
import type { ArchiveProfile } from '../../../src/core/archive/profile.js';
import { cleanupPhases } from '../../../src/core/cleanup/phases.js';
import { createJobPhases, jobPhases } from '../../../src/core/export/phases.js';
import type { PhaseSpec } from '../../../src/core/phases.js';
import { cedarStorePhases, s3StorePhases } from '../../../src/core/s3/phases.js';
import { verifyS3Phases, verifyVolumePhases } from '../../../src/core/verify/phases.js';
import { repoRoot } from '../../helpers/cli.js';

const PATTERNS = [
  /\bphase\(\s*(['`])([^'`]+)\1/g, // phase('scan', …), this.phase(…), options.phase(…), phase(`cleanup:${kind}`, …)
  /\bskipPhase\(\s*emit,\s*(['`])([^'`]+)\1/g,
  /type: 'phase-start', phase: (['`])([^'`]+)\1/g,
  /\bjobCommand\(\s*(['`])([^'`]+)\1/g,
];

/** The phase ids a core file emits; an id built from a template is kept as its fixed start, ending in `*`. */
function emittedIds(files: string[]): Set<string> {
  const ids = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(repoRoot, 'src', 'core', file), 'utf8');
    for (const pattern of PATTERNS) {
      for (const match of text.matchAll(pattern)) {
        const id = match[2]!;
        ids.add(id.includes('${') ? `${id.slice(0, id.indexOf('${'))}*` : id);
      }
    }
  }
  return ids;
}

function covered(id: string, phases: PhaseSpec[]): boolean {
  if (id.endsWith('*')) {
    const start = id.slice(0, -1);
    return phases.some((p) => p.id.startsWith(start) || (p.many && start.startsWith(p.id)));
  }
  return phases.some((p) => (p.many ? id.startsWith(p.id) : p.id === id));
}

function emitted(spec: PhaseSpec, ids: Set<string>): boolean {
  return [...ids].some((id) => (id.endsWith('*') ? spec.id.startsWith(id.slice(0, -1)) || id.slice(0, -1).startsWith(spec.id) : id === spec.id || (spec.many && id.startsWith(spec.id))));
}

function expectInStep(files: string[], phases: PhaseSpec[], notHere: string[] = []): void {
  const ids = emittedIds(files);
  expect(ids.size).toBeGreaterThan(0);
  expect([...ids].filter((id) => !notHere.includes(id) && !covered(id, phases)), 'emitted by the core, missing from the list').toEqual([]);
  expect(phases.filter((spec) => !emitted(spec, ids)).map((spec) => spec.id), 'listed, never emitted by the core').toEqual([]);
}

const PROFILE = { bindMounts: ['/boot'], dar: { test: true, isolate: true }, rsync: { targetDir: '/m', evenIfBackupFailed: false, delete: false } } as unknown as ArchiveProfile;

describe('every live task list matches what its core emits', () => {
  it('offsite s3 (a directory, and the Cedar Backup action)', () => {
    expectInStep(['s3/store.ts', 's3/cedar.ts'], cedarStorePhases({ encrypted: true, dryRun: false }));
    expect(s3StorePhases({ encrypted: true, dryRun: false })).toEqual(cedarStorePhases({ encrypted: true, dryRun: false }).filter((p) => p.id !== 'select' && p.id !== 'indicator'));
  });

  it('offsite verify (against S3, and against an EBS volume through the backup lifecycle)', () => {
    // The lifecycle is the backup's: verify never creates a volume, it reads the one it is given.
    expectInStep(['verify/verify-s3.ts', 'verify/compare-tree.ts', 'archive/resources.ts'], verifyS3Phases('image'));
    expectInStep(['verify/verify-volume.ts', 'verify/compare-tree.ts', 'instance/lifecycle.ts'], verifyVolumePhases(), ['volume']);
  });

  it('offsite archive', () => {
    expectInStep(['archive/archive.ts', 'archive/resources.ts'], archivePhases(PROFILE));
  });

  it('offsite cleanup', () => {
    expectInStep(['cleanup/cleanup.ts'], cleanupPhases());
  });

  it('offsite export: create-job in every shape, and the job commands', () => {
    const shapes = [
      createJobPhases({ service: 'importexport', dryRun: false, skipFormat: false }),
      createJobPhases({ service: 'importexport', dryRun: false, skipFormat: true }),
      createJobPhases({ service: 'snowball', dryRun: false, skipFormat: false }),
      createJobPhases({ service: 'importexport', dryRun: true, skipFormat: false }),
    ];
    const jobs = (['get-status', 'list-jobs', 'cancel-job', 'get-shipping-label', 'get-job-manifest', 'get-unlock-code'] as const).map((c) => jobPhases(c, c === 'get-status'));
    const all = [...shapes, ...jobs].flat();
    const unique = all.filter((spec, i) => all.findIndex((other) => other.id === spec.id && Boolean(other.many) === Boolean(spec.many)) === i);
    // The two Snowball credential commands name their phase through a variable: their ids are checked by type.
    expectInStep(['export/create-job.ts', 'export/jobs.ts'], unique.filter((p) => p.id !== 'get-job-manifest' && p.id !== 'get-unlock-code'));
  });
});
