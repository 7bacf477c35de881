/**
 * @module
 * A daily timer that purges finished runs older than RUN_RETENTION_DAYS (src/runs/retention.ts), with
 * their histories, logs and index entries. One pass is bounded; a backlog is worked off over the next days.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { DEFAULT_RETENTION_LIMITS, purgeExpiredRuns, type PurgeClient, type RetentionDeps, type RetentionLimits } from "../runs/retention";

/** What a pass needs (src/runs/retention.ts) but the durable client, which the timer's binding gives. */
export type RunRetentionDeps = Omit<RetentionDeps, "client" | "now" | "log"> & {
  readonly limits?: RetentionLimits;
  readonly now?: () => number;
};

/** Daily at 02:43 UTC: off the hour, when scheduled jobs usually start. */
export const RUN_RETENTION_SCHEDULE = "0 43 2 * * *";

export function createRunRetentionHandler(deps: RunRetentionDeps) {
  return async (_timer: Timer, client: PurgeClient, context: InvocationContext): Promise<void> => {
    const report = await purgeExpiredRuns(
      { ...deps, client, now: deps.now ?? Date.now, log: (line) => context.log(line) },
      deps.limits ?? DEFAULT_RETENTION_LIMITS,
    );
    context.log(
      `retention (${deps.retentionDays} days): purged ${report.purgedRuns} run(s) and ${report.purgedInstances} orchestration instance(s)` +
        `${report.more ? ", more are due and follow in the next pass" : ""}; recorded the end of ${report.settled} run(s) listed as active; ` +
        `deleted ${report.deletedKeys} idempotency key(s) and ${report.trimmedActions} schedule-record entr${report.trimmedActions === 1 ? "y" : "ies"}`,
    );
  };
}

export function registerRunRetention(deps: RunRetentionDeps): void {
  df.app.client.timer("purgeRunHistory", { schedule: RUN_RETENTION_SCHEDULE, runOnStartup: false, handler: createRunRetentionHandler(deps) });
}
