/**
 * Issue 12, items 4 and 5: what a run's end tells the world. The job's webhook (a Key Vault secret) gets a
 * JSON summary of the outcomes it asked for, delivered by an activity with retries; a receiver that fails
 * is recorded on the run and never changes its outcome. Azure Monitor gets events with the dimensions the
 * alert rules filter on (RunFinished, ContainerGroupNotDeleted, ScheduleSlot, NotificationFailed).
 */
import { HttpRequest, InvocationContext, type Timer } from "@azure/functions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createScheduledRunHandler, type ScheduledRunsDeps } from "../../src/functions/scheduledRuns";
import { createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import type { JobSpec } from "../../src/jobs/definition";
import type { RunResult } from "../../src/runs/contracts";
import type { RunNotification } from "../../src/runs/notification";
import { TelemetryEvents } from "../../src/telemetry/events";
import { captureTelemetry } from "../support/telemetry";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhookReceiver";
import { useHarness } from "./harness";

const SECOND = 1_000;
const HOUR = 3_600_000;
const webhook = { keyVaultSecret: "team-webhook" };

const jobs = [
  { id: "reported", retries: 0, notify: { webhook, on: ["failed", "timedOut", "missed"] }, container: { image: "test/reported" } },
  { id: "everything", retries: 0, notify: { webhook, on: ["succeeded", "failed"] }, container: { image: "test/everything" } },
  { id: "unreachable", retries: 0, notify: { webhook: { keyVaultSecret: "dead-webhook" }, on: ["succeeded"] }, container: { image: "test/everything" } },
  { id: "watched", schedule: "@daily", retries: 0, notify: { webhook, on: ["missed"] }, container: { image: "test/watched" } },
];

const telemetry = captureTelemetry();
const h = useHarness(jobs, { storage: true, telemetry, runStateContainer: "notify-test", secrets: { "team-webhook": "https://unused.example/" } });
let receiver: WebhookReceiver;
let deadUrl: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h.app.keyVault!.setSecret("team-webhook", receiver.url);
  // A webhook whose server is gone: its port refuses connections.
  const down = await startWebhookReceiver();
  await down.close();
  deadUrl = down.url;
  h.app.keyVault!.setSecret("dead-webhook", deadUrl);
});
afterAll(async () => receiver.close());
beforeEach(() => {
  receiver.received.length = 0;
  receiver.answer(200);
  telemetry.events.length = 0;
});

function runsDeps(): RunsApiDeps {
  const s = h.app.services;
  return { jobs: h.app.jobs, defaultRegion: "eastus", slots: s.slots, queue: s.queue, index: s.index, now: () => new Date(h.app.clock.now()) };
}

function context(): InvocationContext {
  return new InvocationContext({ functionName: "test", invocationId: "inv-1", logHandler: () => undefined });
}

async function run(job: string): Promise<{ runId: string; result: RunResult }> {
  const request = new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs`, params: { job } });
  const response = await createStartRunHandler(runsDeps())(request, h.app.host.client, context());
  expect(response.status).toBe(202);
  const runId = (response.jsonBody as { runId: string }).runId;
  return { runId, result: (await h.app.host.waitForCompletion(runId)).output as RunResult };
}

describe("notify: the job's webhook", () => {
  it("gets a failed run's summary, Slack- and Teams-readable, and the run records the delivery", async () => {
    h.app.emulator!.setBehaviour("test/reported", { runMs: 20 * SECOND, exitCode: 2, logs: [{ at: 0, line: "loading" }, { at: SECOND, line: "boom: disk full" }] });
    const { runId, result } = await run("reported");
    expect(result.status).toBe("failed");
    expect(result.notification).toMatchObject({ delivered: true });
    expect(receiver.received).toHaveLength(1);
    const sent = receiver.received[0] as RunNotification;
    expect(sent).toMatchObject({ job: "reported", runId, state: "failed", reason: "exitCode", exitCode: 2, detail: result.detail });
    expect(sent.logTail).toEqual(["loading", "boom: disk full"]);
    expect(sent.text).toContain(`reported: run ${runId} failed.`);
    // Nothing about the webhook itself is kept: not in the result, not in the history.
    expect(JSON.stringify(result)).not.toContain(receiver.url);
    expect(JSON.stringify(h.app.host.history(runId))).not.toContain(receiver.url);
  });

  it("sends only the outcomes the job asked for", async () => {
    h.app.emulator!.setBehaviour("test/reported", { runMs: 10 * SECOND });
    const quiet = await run("reported");
    expect(quiet.result.status).toBe("succeeded");
    expect(quiet.result.notification).toBeUndefined();
    h.app.emulator!.setBehaviour("test/everything", { runMs: 10 * SECOND });
    const told = await run("everything");
    expect(told.result.notification).toMatchObject({ delivered: true });
    expect(receiver.received).toEqual([expect.objectContaining({ runId: told.runId, state: "succeeded" })]);
  });

  it("is retried while the receiver fails, and a failed delivery is recorded without failing the run", async () => {
    receiver.answer(503);
    h.app.emulator!.setBehaviour("test/everything", { runMs: 10 * SECOND });
    const { runId, result } = await run("everything");
    expect(result.status).toBe("succeeded");
    expect(result.notification).toEqual({ delivered: false, error: "The webhook answered 503." });
    // The activity's retry policy: 4 tries.
    expect(receiver.received).toHaveLength(4);
    expect(telemetry.of(TelemetryEvents.notificationFailed)).toEqual([{ job: "everything", runId, state: "succeeded", error: "The webhook answered 503." }]);
  });

  it("is not retried when the receiver refuses it (4xx), and one that recovers is delivered", async () => {
    receiver.answer(404);
    h.app.emulator!.setBehaviour("test/everything", { runMs: 10 * SECOND });
    const refused = await run("everything");
    expect(refused.result.notification).toEqual({ delivered: false, error: "The webhook answered 404." });
    expect(receiver.received).toHaveLength(1);
    receiver.received.length = 0;
    receiver.answer(500, 429, 200);
    const recovered = await run("everything");
    expect(recovered.result.notification).toMatchObject({ delivered: true });
    expect(receiver.received).toHaveLength(3);
  });

  it("never puts the webhook's address in an error, even when nothing answers there", async () => {
    h.app.emulator!.setBehaviour("test/everything", { runMs: 10 * SECOND });
    const { result } = await run("unreachable");
    expect(result.notification).toMatchObject({ delivered: false });
    const error = (result.notification as { error: string }).error;
    expect(error).toMatch(/^The webhook did not answer/u);
    expect(error).not.toContain(new URL(deadUrl).host);
    expect(JSON.stringify(telemetry.events)).not.toContain(new URL(deadUrl).host);
  });
});

describe("events for Azure Monitor", () => {
  it("RunFinished carries the run's job, id, state, reason and exit code as dimensions", async () => {
    h.app.emulator!.setBehaviour("test/reported", { runMs: 20 * SECOND, exitCode: 7 });
    const { runId, result } = await run("reported");
    expect(telemetry.of(TelemetryEvents.runFinished)).toEqual([
      {
        job: "reported",
        runId,
        state: "failed",
        reason: "exitCode",
        exitCode: "7",
        trigger: "http",
        slot: "",
        attempts: "1",
        startedAt: result.startedAt,
        finishedAt: result.finishedAt,
        detail: result.detail,
      },
    ]);
  });

  it("ContainerGroupNotDeleted names a group the run could not delete (it keeps costing money)", async () => {
    h.app.emulator!.setBehaviour("test/reported", { runMs: 10 * SECOND });
    h.app.emulator!.injectFault({ method: "DELETE", fault: { status: 403, code: "AuthorizationFailed", message: "no delete for you" } });
    try {
      const { runId, result } = await run("reported");
      expect(result.attempts[0]!.cleanup).toBe("failed");
      expect(telemetry.of(TelemetryEvents.groupNotDeleted)).toEqual([
        expect.objectContaining({ job: "reported", runId, group: result.attempts[0]!.groupName, resourceGroup: h.app.config.resourceGroup, by: "run" }),
      ]);
      expect(telemetry.of(TelemetryEvents.groupNotDeleted)[0]!.error).toContain("AuthorizationFailed");
    } finally {
      h.app.emulator!.clearFaults();
      for (const group of h.app.emulator!.listGroups()) await h.deleteGroup(group.name);
    }
  });

  it("ScheduleSlot says what each firing did and when the next is due; a skipped slot is notified as missed", async () => {
    const job = h.app.jobs.get("watched") as JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };
    const deps = (at: string): ScheduledRunsDeps => {
      const s = h.app.services;
      return { jobs: h.app.jobs, defaultRegion: "eastus", slots: s.slots, jobState: s.jobState, queue: s.queue, index: s.index, telemetry, webhooks: { secrets: s.secrets }, now: () => new Date(at) };
    };
    const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };
    h.app.emulator!.setBehaviour("test/watched", { runMs: 30 * HOUR });
    const held = h.holdWhenRunning("watched");
    await createScheduledRunHandler(job, deps("2026-12-10T00:00:00.010Z"))(timer, h.app.host.client, context());
    const { runId, release } = await held;
    // The next day's firing finds the first run still going (overlap skip).
    await createScheduledRunHandler(job, deps("2026-12-11T00:00:00.008Z"))(timer, h.app.host.client, context());
    expect(telemetry.of(TelemetryEvents.scheduleSlot)).toEqual([
      { job: "watched", slot: "2026-12-10T00:00:00.000Z", action: "started", runId, count: "1", nextSlot: "2026-12-11T00:00:00.000Z" },
      { job: "watched", slot: "2026-12-11T00:00:00.000Z", action: "skippedOverlap", runId: "", count: "1", nextSlot: "2026-12-12T00:00:00.000Z" },
    ]);
    expect(receiver.received).toEqual([
      expect.objectContaining({ job: "watched", state: "missed", slot: "2026-12-11T00:00:00.000Z", count: 1, detail: expect.stringContaining(runId) }),
    ]);
    await h.app.host.client.raiseEvent(runId, "cancel", { requestedAt: new Date(h.app.clock.now()).toISOString(), reason: "test over" });
    release();
    await h.app.host.waitForCompletion(runId);
  });
});
