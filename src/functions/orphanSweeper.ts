/**
 * @module
 * A timer that runs the orphan sweep (src/runs/orphanSweeper.ts) every 15 minutes: groups of runs that
 * are over but still exist, whatever the reason, are deleted and each deletion is logged with its cause.
 * It also unblocks the lines of waiting runs behind a slot whose run ended without giving it back.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import type { AciClient } from "../aci/client";
import { sweepOrphanedGroups } from "../runs/orphanSweeper";
import { unblockLines, type RunQueue } from "../runs/runQueue";
import type { RunSlots } from "../runs/runSlots";
import { runState, type RunClient } from "../runs/startRun";
import { dimension, TelemetryEvents, type Telemetry } from "../telemetry/events";

/** The job of a run id (`<job>-<time>-<hex>` or `<job>-scheduled-<time>`); job ids have no hyphen. */
function jobOfRun(runId: string): string {
  return runId.split("-")[0] ?? "";
}

export interface OrphanSweeperDeps {
  readonly aci: Pick<AciClient, "list" | "get" | "delete">;
  /** This deployment's `aci-jobs-app` tag value. */
  readonly app: string;
  readonly now?: () => number;
  /** The jobs' slots and lines of waiting runs, when storage is configured. */
  readonly lines?: { readonly jobIds: readonly string[]; readonly slots: RunSlots; readonly queue: RunQueue };
  /** ContainerGroupNotDeleted events for the alert on groups that keep costing money. */
  readonly telemetry?: Telemetry;
  /** Where the swept groups live (ACI_RESOURCE_GROUP), for those events. */
  readonly resourceGroup?: string;
}

/** Every 15 minutes, off the hour and half hour when scheduled jobs usually start. */
export const ORPHAN_SWEEP_SCHEDULE = "0 7,22,37,52 * * * *";

export function createOrphanSweepHandler(deps: OrphanSweeperDeps) {
  return async (_timer: Timer, client: RunClient, context: InvocationContext): Promise<void> => {
    const outcomes = await sweepOrphanedGroups({
      aci: deps.aci,
      runs: client,
      app: deps.app,
      now: deps.now ?? Date.now,
      log: (line) => (line.includes("could not") ? context.warn(line) : context.log(line)),
    });
    const deleted = outcomes.filter((outcome) => outcome.action === "deleted").length;
    for (const outcome of outcomes.filter((item) => item.action === "failed")) {
      const dimensions = { job: jobOfRun(outcome.runId), runId: outcome.runId, group: outcome.group, resourceGroup: deps.resourceGroup ?? "", by: "orphanSweeper" as const, error: dimension(outcome.error ?? "") };
      await deps.telemetry?.track({ name: TelemetryEvents.groupNotDeleted, dimensions });
    }
    if (outcomes.length > 0) context.log(`orphan sweep: ${deleted} deleted, ${outcomes.length - deleted} to retry`);
    if (deps.lines) {
      const done = await unblockLines({ ...deps.lines, stateOf: (runId) => runState(client, runId), now: deps.now ?? Date.now });
      for (const line of done) context.log(`orphan sweep: ${line}`);
    }
  };
}

export function registerOrphanSweeper(deps: OrphanSweeperDeps): void {
  df.app.client.timer("sweepOrphanedGroups", {
    schedule: ORPHAN_SWEEP_SCHEDULE,
    runOnStartup: false,
    handler: createOrphanSweepHandler(deps),
  });
}
