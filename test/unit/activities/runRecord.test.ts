/** The run's last activity: its outcome in the run index and its events for Azure Monitor. */
import { InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createRunRecordActivities } from "../../../src/activities/runRecord";
import type { RunIndex } from "../../../src/runs/runIndex";
import type { RunSummary } from "../../../src/runs/runSummary";
import type { SecretResolver } from "../../../src/secrets";
import { captureTelemetry } from "../../support/telemetry";

const summary: RunSummary = {
  runId: "nightly-scheduled-20261205T000000Z",
  job: "nightly",
  state: "failed",
  trigger: { kind: "schedule", slot: "2026-12-05T00:00:00.000Z", pastDue: false },
  slot: "2026-12-05T00:00:00.000Z",
  createdAt: "2026-12-05T00:00:00.010Z",
  startedAt: "2026-12-05T00:00:00.010Z",
  finishedAt: "2026-12-05T00:05:00.000Z",
  attempts: 1,
  exitCode: 2,
  reason: "exitCode",
  detail: "The container exited with code 2.",
};

const noSecrets: SecretResolver = { resolve: async () => ({ ok: true, values: new Map() }), redactionValues: async () => ({ ok: true, values: [] }) };
const context = () => new InvocationContext({ functionName: "recordRunFinished", invocationId: "i", logHandler: () => undefined });

describe("recordRunFinished", () => {
  it("sends the run's events even when storage refuses its index entry, then fails so it is retried", async () => {
    const telemetry = captureTelemetry();
    const index = { recordFinished: async () => Promise.reject(new Error("503 ServerBusy")) } as unknown as RunIndex;
    const activities = createRunRecordActivities({ index, telemetry, resourceGroup: "rg-jobs", secrets: noSecrets });
    await expect(
      activities.recordRunFinished({ summary, groupsNotDeleted: [{ group: "nightly-a1", error: "AuthorizationFailed" }], notification: { delivered: false, error: "The webhook answered 500." } }, context()),
    ).rejects.toThrow("ServerBusy");
    expect(telemetry.events.map((event) => event.name)).toEqual(["RunFinished", "ContainerGroupNotDeleted", "NotificationFailed"]);
    expect(telemetry.of("ContainerGroupNotDeleted")).toEqual([
      { job: "nightly", runId: summary.runId, group: "nightly-a1", resourceGroup: "rg-jobs", by: "run", error: "AuthorizationFailed" },
    ]);
  });
});
