/**
 * @module
 * The activities at a run's end: post its notification to the job's webhook, and record the outcome
 * (the run index, and events for Azure Monitor's alert rules). Both are at-least-once like every
 * activity: a second delivery of a notification is possible, and recording twice writes the same thing.
 */
import type { InvocationContext } from "@azure/functions";
import { postNotification } from "../runs/webhook";
import type { RunIndex } from "../runs/runIndex";
import type { SecretResolver } from "../secrets";
import { dimension, TelemetryEvents, type Telemetry, type TelemetryEvent } from "../telemetry/events";
import { Activities, type NotifyRunInput, type NotifyRunResult, type RecordRunFinishedInput } from "./contracts";

export interface RunRecordDeps {
  /** Undefined without storage: runs are then not listed. */
  readonly index: RunIndex | undefined;
  readonly telemetry: Telemetry;
  /** Where the app creates container groups (ACI_RESOURCE_GROUP), named in ContainerGroupNotDeleted events. */
  readonly resourceGroup: string;
  readonly secrets: SecretResolver;
  /** The app's address, for the link to the run in a notification. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

export function createRunRecordActivities(deps: RunRecordDeps) {
  const webhookDeps = { secrets: deps.secrets, ...(deps.baseUrl ? { baseUrl: deps.baseUrl } : {}), ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  return {
    async [Activities.notifyRun](input: NotifyRunInput, context: InvocationContext): Promise<NotifyRunResult> {
      const sent = await postNotification(webhookDeps, input.webhook, input.notification);
      if (sent.delivered) context.log(`notification of ${input.notification.runId ?? input.notification.job} (${input.notification.state}) delivered: the webhook answered ${sent.status}`);
      return sent;
    },

    async [Activities.recordRunFinished](input: RecordRunFinishedInput, _context: InvocationContext): Promise<void> {
      const { summary } = input;
      const events: TelemetryEvent[] = [
        {
          name: TelemetryEvents.runFinished,
          dimensions: {
            job: summary.job,
            runId: summary.runId,
            state: summary.state as "succeeded" | "failed" | "timedOut" | "canceled",
            reason: summary.reason ?? "",
            exitCode: summary.exitCode === undefined ? "" : String(summary.exitCode),
            trigger: summary.trigger.kind,
            slot: summary.slot ?? "",
            attempts: String(summary.attempts),
            startedAt: summary.startedAt ?? "",
            finishedAt: summary.finishedAt ?? "",
            detail: dimension(summary.detail ?? ""),
          },
        },
        ...input.groupsNotDeleted.map(
          (group): TelemetryEvent => ({
            name: TelemetryEvents.groupNotDeleted,
            dimensions: { job: summary.job, runId: summary.runId, group: group.group, resourceGroup: deps.resourceGroup, by: "run", error: dimension(group.error) },
          }),
        ),
        ...(input.notification && !input.notification.delivered
          ? [
              {
                name: TelemetryEvents.notificationFailed,
                dimensions: { job: summary.job, runId: summary.runId, state: summary.state, error: dimension(input.notification.error) },
              } satisfies TelemetryEvent,
            ]
          : []),
      ];
      // The events whatever becomes of the index: when storage is failing, the alerts are what must not go
      // quiet. A storage fault is thrown after them, so the activity is retried (and the events sent again).
      try {
        await deps.index?.recordFinished(summary);
      } finally {
        await Promise.all(events.map((event) => deps.telemetry.track(event)));
      }
    },
  };
}
