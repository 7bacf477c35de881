/**
 * @module
 * Retention: a finished run is kept `RUN_RETENTION_DAYS` after it finished, then purged with everything
 * it left: the orchestration history of the run and of its watches (Durable's purge API), its archived
 * logs and its index entries. Idempotency keys and schedule-record entries older than that go too.
 *
 * Each pass is bounded ({@link RetentionLimits}) and resumable: runs are taken oldest first from the
 * index's finish-time entries, and a run's finish entry is removed last, so a pass that stops anywhere
 * leaves the rest for the next. A run that is active is never purged; the purge checks each run's
 * orchestration before touching it.
 */
import { watchInstanceId } from "./contracts";
import type { IdempotencyKeys } from "./idempotency";
import type { JobStateStore } from "./jobState";
import type { LogArchive } from "./logArchive";
import { InvalidContinuationToken, type RunIndex } from "./runIndex";
import { isFinalState, summaryFromStatus, type RunSummary } from "./runSummary";
import { findRun, isActiveStatus, type RunClient } from "./startRun";
import type * as df from "durable-functions";

export type PurgeClient = RunClient & Pick<df.DurableClient, "purgeInstanceHistory">;

export interface RetentionDeps {
  readonly client: PurgeClient;
  readonly index: RunIndex;
  readonly archive: LogArchive | undefined;
  readonly idempotency: IdempotencyKeys | undefined;
  readonly jobState: JobStateStore | undefined;
  readonly jobIds: readonly string[];
  readonly retentionDays: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface RetentionLimits {
  /** Runs purged per pass. */
  readonly runs: number;
  /** Active-listed runs checked for an end that was never recorded, per pass. */
  readonly stale: number;
  /** Idempotency keys looked at per pass. */
  readonly keys: number;
}

export const DEFAULT_RETENTION_LIMITS: RetentionLimits = { runs: 500, stale: 200, keys: 5_000 };

export interface RetentionReport {
  readonly purgedRuns: number;
  readonly purgedInstances: number;
  /** More runs were due than one pass purges: the next pass goes on. */
  readonly more: boolean;
  /** Runs listed as active whose end is now recorded (terminated, or their record failed). */
  readonly settled: number;
  readonly deletedKeys: number;
  readonly trimmedActions: number;
}

const DAY_MS = 86_400_000;

export async function purgeExpiredRuns(deps: RetentionDeps, limits: RetentionLimits = DEFAULT_RETENTION_LIMITS): Promise<RetentionReport> {
  const cutoff = new Date(deps.now() - deps.retentionDays * DAY_MS);
  // Each part on its own: one that fails is logged and the others still run.
  const settled = await part(deps, "recording the end of runs listed as active", () => settleStaleActive(deps, limits.stale), 0);
  const due = await part(deps, "listing the runs due", () => deps.index.finishedBefore(cutoff, limits.runs + 1), []);
  let purgedInstances = 0;
  let purgedRuns = 0;
  for (const { summary } of due.slice(0, limits.runs)) {
    // A run that cannot be purged today is tried again tomorrow; it does not hold up the others.
    const purged = await part(deps, `purging run ${summary.runId}`, () => purgeRun(deps, summary), undefined);
    if (purged === undefined) continue;
    purgedInstances += purged;
    purgedRuns++;
  }
  const idempotency = deps.idempotency;
  const deletedKeys = idempotency ? await part(deps, "deleting old idempotency keys", () => idempotency.deleteOlderThan(cutoff, limits.keys), 0) : 0;
  let trimmedActions = 0;
  for (const jobId of deps.jobIds) trimmedActions += await part(deps, `trimming the schedule record of ${jobId}`, () => trimScheduleRecord(deps, jobId, cutoff), 0);
  return { purgedRuns, purgedInstances, more: due.length > limits.runs, settled, deletedKeys, trimmedActions };
}

async function part<T>(deps: RetentionDeps, what: string, work: () => Promise<T>, otherwise: T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    deps.log(`retention: ${what} failed, the next pass tries again: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    return otherwise;
  }
}

/**
 * Purges one run; undefined when its id now names an active run (then only the old entries go), or one of
 * its watches is still going (then nothing goes until a later pass).
 */
async function purgeRun(deps: RetentionDeps, summary: RunSummary): Promise<number | undefined> {
  const status = await findRun(deps.client, summary.runId);
  if (status && isActiveStatus(String(status.runtimeStatus))) {
    deps.log(`retention: run ${summary.runId} is active again (started anew with that id); only its old index entries are removed`);
    await deps.index.remove(summary);
    return undefined;
  }
  let instances = 0;
  // Watches first, the run last: a pass that stops halfway still finds the run, and with it the watches' ids.
  for (let attempt = 1; attempt <= summary.attempts; attempt++) {
    const watch = watchInstanceId(summary.runId, attempt);
    // A run terminated from outside leaves its watch going until the group is gone; never purge it running.
    const watching = await findRun(deps.client, watch);
    if (watching && isActiveStatus(String(watching.runtimeStatus))) {
      deps.log(`retention: the watch ${watch} of run ${summary.runId} is still active; the run is purged on a later pass`);
      return undefined;
    }
    instances += (await deps.client.purgeInstanceHistory(watch)).instancesDeleted;
  }
  instances += (await deps.client.purgeInstanceHistory(summary.runId)).instancesDeleted;
  await deps.archive?.remove(summary.runId);
  await deps.index.remove(summary);
  return instances;
}

/**
 * Runs the index lists as active that have ended without their end recorded: terminated (no code of
 * theirs ran to record it), or whose recording failed. Their end is recorded now, so lists and
 * retention see them. At most `limit` entries a pass, going on from where the last pass stopped, so
 * many runs that are really active (a long backfill) do not hide older ended ones.
 */
async function settleStaleActive(deps: RetentionDeps, limit: number): Promise<number> {
  let settled = 0;
  let looked = 0;
  let continuationToken = await deps.index.activeScanCursor.get();
  do {
    const page = await deps.index
      .list({ state: "active", limit: Math.min(100, limit - looked), ...(continuationToken ? { continuationToken } : {}) })
      .catch((error: unknown) => {
        // A cursor the index no longer takes: start from the newest again.
        if (error instanceof InvalidContinuationToken) return deps.index.list({ state: "active", limit: Math.min(100, limit - looked) });
        throw error;
      });
    for (const summary of page.runs) {
      looked++;
      const status = await findRun(deps.client, summary.runId);
      if (status && isActiveStatus(String(status.runtimeStatus))) continue;
      const ended = status
        ? summaryFromStatus(summary, status)
        : { ...summary, state: "terminated" as const, finishedAt: new Date(deps.now()).toISOString(), detail: "The run's orchestration no longer exists." };
      await deps.index.recordFinished(isFinalState(ended.state) ? ended : { ...ended, state: "error" });
      settled++;
    }
    continuationToken = page.continuationToken;
  } while (continuationToken && looked < limit);
  await deps.index.activeScanCursor.set(continuationToken);
  return settled;
}

/** Drops schedule-record entries older than the cutoff, but always keeps the newest (catch-up counts from it). */
async function trimScheduleRecord(deps: RetentionDeps, jobId: string, cutoff: Date): Promise<number> {
  if (!deps.jobState) return 0;
  let trimmed = 0;
  await deps.jobState.update(jobId, (state) => {
    const kept = state.actions.filter((action, index) => index === 0 || Date.parse(action.at) >= cutoff.getTime());
    trimmed = state.actions.length - kept.length;
    return trimmed > 0 ? { ...state, actions: kept } : undefined;
  });
  return trimmed;
}
