/**
 * @module
 * What aci-jobs tells Azure Monitor, as data: one custom event (Application Insights `customEvents`) per
 * thing an operator may want an alert or a chart for. Every dimension is a string (Application Insights
 * stores custom dimensions as strings), named the same in every event, so the alert rules in infra/ and
 * the queries in docs/deploy.md filter on `customDimensions.job`, `.state` and so on, never on log text.
 * No event carries a secret: texts that could hold one (detail, error) are redacted before they get here.
 */

/** The `name` of each custom event. */
export const TelemetryEvents = {
  /** A run ended: `state` is succeeded, failed, timedOut or canceled. */
  runFinished: "RunFinished",
  /** A container group could not be deleted (by its run or the orphan sweeper): it keeps costing money. */
  groupNotDeleted: "ContainerGroupNotDeleted",
  /** A scheduled slot and what the timer did for it; `nextSlot` is when the schedule expects the next one. */
  scheduleSlot: "ScheduleSlot",
  /** A run's notification could not be delivered (after its retries). */
  notificationFailed: "NotificationFailed",
} as const;

export type TelemetryEventName = (typeof TelemetryEvents)[keyof typeof TelemetryEvents];

export interface RunFinishedDimensions {
  readonly job: string;
  readonly runId: string;
  readonly state: "succeeded" | "failed" | "timedOut" | "canceled";
  /** The last attempt's reason (docs/jobs.md), or "" when it has none (success, canceled while queued). */
  readonly reason: string;
  /** The last attempt's exit code, or "" when the container never exited. */
  readonly exitCode: string;
  /** schedule, http, cli, rerun or backfill. */
  readonly trigger: string;
  /** The schedule slot the run is for (ISO 8601), or "". */
  readonly slot: string;
  readonly attempts: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The run's one-sentence outcome, redacted, at most 500 characters. */
  readonly detail: string;
}

export interface GroupNotDeletedDimensions {
  readonly job: string;
  /** The run the group belongs to, or "" when the sweeper could not tell. */
  readonly runId: string;
  readonly group: string;
  readonly resourceGroup: string;
  /** Who tried: "run" or "orphanSweeper". */
  readonly by: "run" | "orphanSweeper";
  /** What Azure answered, redacted, at most 500 characters. */
  readonly error: string;
}

export interface ScheduleSlotDimensions {
  readonly job: string;
  /** The slot (ISO 8601 UTC). For `missed`, the first slot of the missed range. */
  readonly slot: string;
  /** started, queued, skippedOverlap, skippedPaused or missed. */
  readonly action: "started" | "queued" | "skippedOverlap" | "skippedPaused" | "missed";
  /** The run started or queued for it, or "". */
  readonly runId: string;
  /** For `missed`: how many slots the range holds, else "1". */
  readonly count: string;
  /** The schedule's next slot after this one (ISO 8601 UTC), so an alert can tell when a firing is overdue. */
  readonly nextSlot: string;
}

export interface NotificationFailedDimensions {
  readonly job: string;
  readonly runId: string;
  readonly state: string;
  /** Why delivery failed (status code or error, never the webhook's URL), at most 500 characters. */
  readonly error: string;
}

export type TelemetryEvent =
  | { readonly name: typeof TelemetryEvents.runFinished; readonly dimensions: RunFinishedDimensions }
  | { readonly name: typeof TelemetryEvents.groupNotDeleted; readonly dimensions: GroupNotDeletedDimensions }
  | { readonly name: typeof TelemetryEvents.scheduleSlot; readonly dimensions: ScheduleSlotDimensions }
  | { readonly name: typeof TelemetryEvents.notificationFailed; readonly dimensions: NotificationFailedDimensions };

/** Where events go: Application Insights in Azure (src/telemetry/appInsights.ts); nowhere without it. */
export interface Telemetry {
  /**
   * Sends the event; resolves once it is delivered or given up on, and never rejects: telemetry must not
   * fail a run. Awaited by its caller, because the host may freeze the process once the function returns.
   */
  track(event: TelemetryEvent): Promise<void>;
}

/** No Application Insights: events are only in the function log (each caller logs what it tracks). */
export const noTelemetry: Telemetry = { track: async () => undefined };

/** Cuts a text dimension to `max` characters (a cut text ends in …). */
export function dimension(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
