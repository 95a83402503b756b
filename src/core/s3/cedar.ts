import { phaseRunner } from '../phases.js';
import type { RunControl } from '../run-control.js';
import { dayPath, findDailyDir, weekday } from './daily-dir.js';
import { writeStoreIndicator } from './indicator.js';
import type { CedarPlan, CedarResult, S3StorePlan } from './plan.js';
import { storeDirectory, type S3StoreDeps } from './store.js';
import { s3Url } from './url.js';

const WHOSE = { today: "current day's", yesterday: "previous day's", tomorrow: "next day's" } as const;

/**
 * The Cedar Backup amazons3 action: find the day's staging directory, apply the size limit, store the directory under
 * s3://<s3_bucket>/YYYY/MM/DD/ (mirrored: files gone from the staging directory are removed, but only after the new
 * set has verified), then write cback.amazons3. We run as the invoking user; Cedar's su to backup_user is not done.
 */
export async function runCedarStore(plan: CedarPlan, deps: S3StoreDeps, control: RunControl): Promise<CedarResult> {
  const { emit, signal } = control;
  const phase = phaseRunner(emit, signal);
  emit({ type: 'run-start', runId: deps.ledger.runId, command: `s3 cedar ${plan.configPath}${plan.full ? ' (full)' : ''}` });

  const chosen = await phase('select', `Find the staging directory for ${dayPath(plan.today)} below ${plan.stagingRoot}`, () =>
    findDailyDir(plan.stagingRoot, plan.today, plan.full),
  );
  emit({ type: 'log', message: `Amazon S3 process will use ${WHOSE[chosen.which]} staging directory [${chosen.dir}]` });
  if (chosen.which !== 'today' && plan.warnMidnight) emit({ type: 'warning', message: 'Amazon S3 process crossed midnite boundary to find data.' });

  // Cedar: the full limit with --full or on the starting day of the week, else the incremental one.
  const fullDay = plan.full || (plan.startingDay !== undefined && weekday(plan.today) === plan.startingDay);
  const sizeLimit = fullDay ? plan.fullSizeLimit : plan.incrementalSizeLimit;
  emit({ type: 'log', message: sizeLimit ? `size limit for ${fullDay ? 'full' : 'incremental'} backups: ${sizeLimit.text}` : 'no Amazon S3 size limit applies' });

  const destination = { bucket: plan.target.bucket, prefix: `${plan.target.prefix}${chosen.day}/` };
  const storePlan: S3StorePlan = {
    ...plan.store,
    source: chosen.dir,
    destination,
    skipIndicators: true,
    followSymlinks: true,
    mirror: true,
    ...(sizeLimit ? { sizeLimit } : {}),
  };
  emit({ type: 'log', message: `storing ${chosen.dir} to ${s3Url(destination)}` });
  const stored = await storeDirectory(storePlan, deps, control);
  const result: CedarResult = { ...stored, stagingDir: chosen.dir, day: chosen.day, ...(sizeLimit ? { limit: fullDay ? 'full' : 'incremental' } : {}) };
  if (plan.store.dryRun) return result;

  // Only after everything verified: the indicator tells Cedar (and our next run) that this day is in S3.
  const written = await phase('indicator', `Write ${chosen.dir}/cback.amazons3`, () => writeStoreIndicator(chosen.dir, { user: plan.backupUser, group: plan.backupGroup }));
  if (written.warning) emit({ type: 'warning', message: written.warning });
  return { ...result, indicator: written.path };
}
