/**
 * Pausing a job's schedule (issue 11, items 4 and 10): the pause is kept in storage, so it holds across
 * restarts and instances; a paused timer starts nothing and says so in the schedule record; runs on
 * request still start; `pauseAfterFailures` pauses after that many failed scheduled runs in a row.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit, type Timer } from "@azure/functions";
import { DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { createGetJobHandler, createListJobsHandler, createPauseJobHandler, createResumeJobHandler, type JobsApiDeps } from "../../src/functions/jobsApi";
import { createStartRunHandler } from "../../src/functions/runsApi";
import { createScheduledRunHandler, type ScheduledRunsDeps } from "../../src/functions/scheduledRuns";
import { parseJobDefinition, type JobSpec } from "../../src/jobs/definition";
import { createBlobJobStateStore, withAction, type ScheduleAction } from "../../src/runs/jobState";
import { useHarness } from "./harness";

const jobs = [
  { id: "nightly", schedule: "@daily", maxActiveRuns: 1, container: { image: "hello-world" } },
  { id: "flaky", schedule: "@hourly", pauseAfterFailures: 2, maxActiveRuns: 1, container: { image: "test/fails" } },
  { id: "on_request", container: { image: "hello-world" } },
];

const h = useHarness(jobs, { storage: true, activityRedelivery: (name) => (name === "recordScheduledRunOutcome" ? "concurrently" : "none") });

function storage() {
  return { kind: "connectionString" as const, connectionString: process.env.AZURITE_CONNECTION_STRING! };
}

function jobsDeps(now = new Date("2026-11-28T09:30:00Z")): JobsApiDeps {
  return { jobs: h.app.jobs, defaultRegion: "eastus", jobState: h.app.services.jobState, now: () => now };
}

function timerDeps(firedAt: Date, jobState = h.app.services.jobState): ScheduledRunsDeps {
  return { jobs: h.app.jobs, defaultRegion: "eastus", slots: h.app.services.slots, jobState, now: () => firedAt };
}

const context = (lines: string[] = []) =>
  new InvocationContext({ functionName: "test", invocationId: "inv", logHandler: (_level, ...args) => lines.push(args.map(String).join(" ")) });

const timer = (isPastDue = false): Timer => ({ isPastDue, schedule: { adjustForDST: false }, scheduleStatus: { last: "", next: "", lastUpdated: "" } });

const signedIn = (name: string) => ({
  "x-ms-client-principal": Buffer.from("{}").toString("base64"),
  "x-ms-client-principal-id": "id",
  "x-ms-client-principal-name": name,
  "x-ms-client-principal-idp": "aad",
});

function request(job: string, action: "pause" | "resume" | "", body?: string, headers?: Record<string, string>): HttpRequest {
  return new HttpRequest({
    method: action ? "POST" : "GET",
    url: `http://localhost:7071/api/jobs/${job}${action ? `/${action}` : ""}`,
    params: { job },
    ...(body === undefined ? {} : { body: { string: body } }),
    ...(headers ? { headers } : {}),
  });
}

const json = <T>(response: HttpResponseInit) => response.jsonBody as T;
const scheduled = (id: string) => h.app.jobs.get(id) as JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };

interface JobView {
  paused: { since: string; note?: string; by?: string } | null;
  scheduleRecord: ScheduleAction[];
  schedule: { nextFireTimes: string[] };
  consecutiveScheduledFailures?: number;
}

describe("pause and resume", () => {
  it("a paused schedule starts nothing and records why; a run on request still starts; resume lets the next slot run", async () => {
    const paused = await createPauseJobHandler(jobsDeps())(request("nightly", "pause", '{"note":"database maintenance"}', signedIn("ops@example.com")), context());
    expect(paused.status).toBe(200);
    expect(json<JobView>(paused).paused).toEqual({ since: "2026-11-28T09:30:00.000Z", note: "database maintenance", by: "ops@example.com" });

    const lines: string[] = [];
    await createScheduledRunHandler(scheduled("nightly"), timerDeps(new Date("2026-11-29T00:00:00.010Z")))(timer(), h.app.host.client, context(lines));
    expect(lines).toEqual([
      "schedule slot 2026-11-29T00:00:00.000Z of nightly skipped: the schedule is paused since 2026-11-28T09:30:00.000Z by ops@example.com (database maintenance)",
    ]);
    await expect(h.app.host.client.getStatus("nightly-scheduled-20261129T000000Z")).rejects.toThrow(/404/u);

    // Manual runs are not paused (as in Temporal).
    const manual = await createStartRunHandler({ jobs: h.app.jobs, defaultRegion: "eastus", slots: h.app.services.slots })(
      new HttpRequest({ method: "POST", url: "http://localhost:7071/api/jobs/nightly/runs", params: { job: "nightly" } }),
      h.app.host.client,
      context(),
    );
    expect(manual.status).toBe(202);
    await h.app.host.waitForCompletion(json<{ runId: string }>(manual).runId);

    const resumed = await createResumeJobHandler(jobsDeps())(request("nightly", "resume"), context());
    expect(resumed.status).toBe(200);
    expect(json<JobView>(resumed).paused).toBeNull();
    await createScheduledRunHandler(scheduled("nightly"), timerDeps(new Date("2026-11-30T00:00:00.010Z")))(timer(), h.app.host.client, context());
    await h.app.host.waitForCompletion("nightly-scheduled-20261130T000000Z");

    const view = json<JobView>(await createGetJobHandler(jobsDeps())(request("nightly", ""), context()));
    expect(view.scheduleRecord).toEqual([
      { slot: "2026-11-30T00:00:00.000Z", at: "2026-11-30T00:00:00.010Z", action: "started", runId: "nightly-scheduled-20261130T000000Z" },
      { slot: "2026-11-29T00:00:00.000Z", at: "2026-11-29T00:00:00.010Z", action: "skippedPaused", note: "database maintenance" },
    ]);
    expect(view.schedule.nextFireTimes).toHaveLength(10);
    expect(view.schedule.nextFireTimes[0]).toBe("2026-11-29T00:00:00.000Z");
  });

  it("holds across a restart and on every instance: the pause is in storage, not in memory", async () => {
    expect((await createPauseJobHandler(jobsDeps())(request("nightly", "pause"), context())).status).toBe(200);
    // Another instance (or the app after a restart): its own store, the same storage account.
    const otherInstance = createBlobJobStateStore(storage(), new DefaultAzureCredential());
    const lines: string[] = [];
    await createScheduledRunHandler(scheduled("nightly"), timerDeps(new Date("2026-12-01T00:00:00.010Z"), otherInstance))(timer(), h.app.host.client, context(lines));
    expect(lines[0]).toMatch(/^schedule slot 2026-12-01T00:00:00\.000Z of nightly skipped: the schedule is paused since /u);
    const listed = json<{ jobs: { id: string; paused: unknown }[] }>(await createListJobsHandler(jobsDeps())(request("", ""), context())).jobs;
    expect(listed.find((j) => j.id === "nightly")?.paused).toMatchObject({ since: expect.any(String) });
    expect(listed.find((j) => j.id === "on_request")?.paused).toBeNull();
    expect((await createResumeJobHandler(jobsDeps())(request("nightly", "resume"), context())).status).toBe(200);
  });

  it("answers conflicts, unknown jobs and bad bodies as problem+json", async () => {
    const pause = createPauseJobHandler(jobsDeps());
    expect((await pause(request("nightly", "pause", '{"note":"first"}', signedIn("a@example.com")), context())).status).toBe(200);
    const again = await pause(request("nightly", "pause", '{"note":"second"}'), context());
    expect(again.status).toBe(409);
    expect(json<{ detail: string; state: string }>(again)).toMatchObject({
      state: "paused",
      detail: "Job nightly is already paused (since 2026-11-28T09:30:00.000Z by a@example.com: first).",
    });
    expect((await createResumeJobHandler(jobsDeps())(request("nightly", "resume"), context())).status).toBe(200);
    const notPaused = await createResumeJobHandler(jobsDeps())(request("nightly", "resume"), context());
    expect(notPaused.status).toBe(409);
    expect((notPaused.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
    expect(json<{ state: string }>(notPaused).state).toBe("active");

    expect(json<{ state: string }>(await pause(request("on_request", "pause"), context()))).toMatchObject({ status: 409, state: "unscheduled" });
    expect((await pause(request("nope", "pause"), context())).status).toBe(404);
    expect((await createGetJobHandler(jobsDeps())(request("nope", ""), context())).status).toBe(404);
    const bad = await pause(request("nightly", "pause", '{"reason":"x"}'), context());
    expect(bad.status).toBe(400);
    expect(json<{ errors: { field: string }[] }>(bad).errors[0]!.field).toBe("(body)");
    expect((await pause(request("nightly", "pause", '{"note": 3}'), context())).status).toBe(400);
  });

  it("loses no change when a pause and timer records race", async () => {
    const store = h.app.services.jobState!;
    const at = "2026-12-02T00:00:00.000Z";
    await Promise.all([
      createPauseJobHandler(jobsDeps())(request("nightly", "pause", '{"note":"race"}'), context()),
      ...Array.from({ length: 6 }, (_, i) => store.update("nightly", (state) => withAction(state, { slot: `2026-12-0${i + 2}T00:00:00.000Z`, at, action: "started", runId: `r${i}` }))),
    ]);
    const state = await store.read("nightly");
    expect(state.paused?.note).toBe("race");
    expect(state.actions.filter((a) => a.at === at).map((a) => (a as { runId: string }).runId).sort()).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
    await createResumeJobHandler(jobsDeps())(request("nightly", "resume"), context());
  });
});

describe("pauseAfterFailures", () => {
  it("pauses the schedule after 2 failed scheduled runs in a row, counting each run once, and says so", async () => {
    h.app.emulator!.setBehaviour("test/fails", { runMs: 5_000, exitCode: 1 });
    const fire = async (slot: string) => {
      const lines: string[] = [];
      await createScheduledRunHandler(scheduled("flaky"), timerDeps(new Date(`${slot}.010Z`)))(timer(), h.app.host.client, context(lines));
      return lines;
    };
    await fire("2026-11-28T01:00:00");
    await h.app.host.waitForCompletion("flaky-scheduled-20261128T010000Z");
    // The outcome activity ran twice (re-delivered), but the run counts once.
    expect(json<JobView>(await createGetJobHandler(jobsDeps())(request("flaky", ""), context())).consecutiveScheduledFailures).toBe(1);

    await fire("2026-11-28T02:00:00");
    await h.app.host.waitForCompletion("flaky-scheduled-20261128T020000Z");
    const view = json<JobView>(await createGetJobHandler(jobsDeps())(request("flaky", ""), context()));
    expect(view.consecutiveScheduledFailures).toBe(2);
    expect(view.paused).toMatchObject({
      by: "pauseAfterFailures",
      note: "Paused after 2 scheduled runs in a row failed (pauseAfterFailures 2); the last was flaky-scheduled-20261128T020000Z. Resume with POST /api/jobs/flaky/resume.",
    });
    expect(h.logs.some((r) => r.level === "warning" && r.message.startsWith("schedule of flaky paused: Paused after 2 scheduled runs"))).toBe(true);

    expect((await fire("2026-11-28T03:00:00"))[0]).toMatch(/^schedule slot 2026-11-28T03:00:00\.000Z of flaky skipped: the schedule is paused since .* by pauseAfterFailures/u);

    // Resuming starts the count afresh, and a success resets it.
    await createResumeJobHandler(jobsDeps())(request("flaky", "resume"), context());
    h.app.emulator!.setBehaviour("test/fails", { runMs: 5_000, exitCode: 0 });
    await fire("2026-11-28T04:00:00");
    await h.app.host.waitForCompletion("flaky-scheduled-20261128T040000Z");
    const after = json<JobView>(await createGetJobHandler(jobsDeps())(request("flaky", ""), context()));
    expect(after).toMatchObject({ paused: null, consecutiveScheduledFailures: 0 });
  });

  it("refuses pauseAfterFailures on a job without a schedule at startup", async () => {
    expect(parseJobDefinition({ id: "x", pauseAfterFailures: 3, container: { image: "busybox" } }, "x")).toEqual({
      ok: false,
      problems: ['job "x", field pauseAfterFailures: pauseAfterFailures needs a schedule: it pauses the job\'s timer'],
    });
  });
});
