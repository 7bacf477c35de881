/**
 * The HTTP and timer triggers over the in-process host's Durable client, with run slots in Azurite:
 * the handlers are the exported ones the registered functions call, fed real HttpRequest and
 * InvocationContext objects.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit, type Timer } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createListJobsHandler } from "../../src/functions/jobsApi";
import { createGetRunHandler, createRerunHandler, createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import { createScheduledRunHandler } from "../../src/functions/scheduledRuns";
import type { ContainerGroup } from "@azure/arm-containerinstance";
import type { JobSpec } from "../../src/jobs/definition";
import tutorial from "../../src/jobs/azure_container_instances";
import type { RunView } from "../../src/runs/runView";
import { useHarness } from "./harness";

const jobs = [
  tutorial,
  { id: "parallel", maxActiveRuns: 2, container: { image: "busybox", command: ["sh", "-c", "sleep 60"] } },
  { id: "berlin_morning", schedule: { cron: "0 9 * * 1-5", timeZone: "Europe/Berlin" }, container: { image: "hello-world" } },
  {
    id: "daily_export",
    schedule: "0 2 * * *",
    overrides: { slot: true },
    container: { image: "busybox", command: ["sh", "-c", "echo exporting {{ ds }} from {{ data_interval_start }}; sleep 30"], environment: { TARGET: "exports/{{ ds_nodash }}" } },
  },
  {
    id: "report",
    overrides: { command: true, environment: ["DAY"], imageTags: ["1.37"], cpu: { max: 2 }, memoryInGB: { max: 4 } },
    container: { image: "busybox:1.36", command: ["sh", "-c", "echo full report"], environment: { DAY: "today", MODE: "full" } },
  },
];

const h = useHarness(jobs, { storage: true });

function deps(now?: Date): RunsApiDeps {
  return { jobs: h.app.jobs, defaultRegion: h.app.config.defaultRegion, slots: h.app.services.slots, ...(now ? { now: () => now } : {}) };
}

function context(lines: string[] = []): InvocationContext {
  return new InvocationContext({ functionName: "test", invocationId: "inv-1", logHandler: (_level, ...args) => lines.push(args.map(String).join(" ")) });
}

const post = (job: string, body?: string) =>
  new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs`, params: { job }, ...(body === undefined ? {} : { body: { string: body } }) });

const get = (job: string, runId: string) =>
  new HttpRequest({ method: "GET", url: `http://localhost:7071/api/jobs/${job}/runs/${runId}`, params: { job, runId } });

function body<T>(response: HttpResponseInit): T {
  return response.jsonBody as T;
}

function timer(isPastDue = false): Timer {
  return { isPastDue, schedule: { adjustForDST: false }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };
}

describe("POST and GET /api/jobs/{job}/runs", () => {
  it("starts a run (202 with its status URL), and GET shows its result once finished", async () => {
    const start = createStartRunHandler(deps());
    const response = await start(post("azure_container_instances"), h.app.host.client, context());
    expect(response.status).toBe(202);
    const { runId, statusUrl } = body<{ runId: string; statusUrl: string }>(response);
    expect(statusUrl).toBe(`http://localhost:7071/api/jobs/azure_container_instances/runs/${runId}`);
    expect((response.headers as Record<string, string>).location).toBe(statusUrl);

    await h.app.host.waitForCompletion(runId);
    const view = await createGetRunHandler(deps())(get("azure_container_instances", runId), h.app.host.client, context());
    expect(view.status).toBe(200);
    expect(body<RunView>(view)).toMatchObject({ runId, job: "azure_container_instances", state: "succeeded", trigger: { kind: "http" }, result: { exitCode: 0 } });
  });

  it("starts exactly one run for two simultaneous POSTs to a job with at most 1 active run, then another once it ended", async () => {
    const start = createStartRunHandler(deps());
    const responses = await Promise.all([
      start(post("azure_container_instances"), h.app.host.client, context()),
      start(post("azure_container_instances"), h.app.host.client, context()),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([202, 409]);
    const accepted = responses.find((r) => r.status === 202)!;
    const refused = responses.find((r) => r.status === 409)!;
    const { runId } = body<{ runId: string }>(accepted);
    expect((refused.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
    expect(body<{ activeRuns: string[] }>(refused).activeRuns).toEqual([runId]);

    await h.app.host.waitForCompletion(runId);
    const again = await start(post("azure_container_instances"), h.app.host.client, context());
    expect(again.status).toBe(202);
    await h.app.host.waitForCompletion(body<{ runId: string }>(again).runId);
  });

  it("allows as many active runs as the job says, and no more", async () => {
    const start = createStartRunHandler(deps());
    const responses = await Promise.all([1, 2, 3].map(() => start(post("parallel"), h.app.host.client, context())));
    expect(responses.map((r) => r.status).sort()).toEqual([202, 202, 409]);
    for (const response of responses.filter((r) => r.status === 202)) {
      await h.app.host.waitForCompletion(body<{ runId: string }>(response).runId);
    }
  });

  it("answers 404 for an unknown job or run and 400 for a malformed body, as problem+json", async () => {
    const start = createStartRunHandler(deps());
    const unknownJob = await start(post("no_such_job"), h.app.host.client, context());
    const malformed = await start(post("azure_container_instances", "{oops"), h.app.host.client, context());
    const unknownRun = await createGetRunHandler(deps())(get("azure_container_instances", "nope"), h.app.host.client, context());
    for (const [response, status] of [[unknownJob, 404], [malformed, 400], [unknownRun, 404]] as const) {
      expect(response.status).toBe(status);
      expect((response.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
      expect(JSON.stringify(response.jsonBody)).not.toMatch(/at .*\.ts:\d+/u);
    }
  });

  it("runs with a caller's overrides: the group ACI receives has the command, environment, image tag and resources asked for", async () => {
    const overrides = { command: ["sh", "-c", "echo report for 2026-02-28; sleep 30"], environment: { DAY: "2026-02-28" }, imageTag: "1.37", cpu: 2, memoryInGB: 3.5 };
    let group: ContainerGroup | undefined;
    const running = h.whenRunning("report", async (groupName) => {
      group = await h.app.services.aci.get(groupName);
    });
    const response = await createStartRunHandler(deps())(post("report", JSON.stringify(overrides)), h.app.host.client, context());
    expect(response.status).toBe(202);
    const { runId } = body<{ runId: string }>(response);
    await running;
    await h.app.host.waitForCompletion(runId);

    // What the emulator holds, read back through the SDK: the job's definition with the overrides merged in.
    const [container] = group?.containers ?? [];
    expect(container).toMatchObject({
      image: "busybox:1.37",
      command: ["sh", "-c", "echo report for 2026-02-28; sleep 30"],
      resources: { requests: { cpu: 2, memoryInGB: 3.5 } },
    });
    expect(container?.environmentVariables).toEqual(
      expect.arrayContaining([
        { name: "DAY", value: "2026-02-28" },
        { name: "MODE", value: "full" },
      ]),
    );
    // The job's two, and the three aci-jobs sets on every run (a run on request has no slot).
    expect(container?.environmentVariables).toHaveLength(5);
    expect(container?.environmentVariables).toEqual(
      expect.arrayContaining([
        { name: "ACI_JOBS_JOB", value: "report" },
        { name: "ACI_JOBS_RUN_ID", value: runId },
        { name: "ACI_JOBS_ATTEMPT", value: "1" },
      ]),
    );
    expect(h.containerLines(runId)).toEqual(["report for 2026-02-28"]);

    const view = body<RunView>(await createGetRunHandler(deps())(get("report", runId), h.app.host.client, context()));
    expect(view).toMatchObject({ runId, state: "succeeded", trigger: { kind: "http" }, overrides, result: { exitCode: 0 } });
  });

  it("refuses an override the job does not allow with 400 naming the field, and starts nothing", async () => {
    const before = h.app.emulator!.requests.length;
    const response = await createStartRunHandler(deps())(post("report", JSON.stringify({ environment: { MODE: "quick" } })), h.app.host.client, context());
    expect(response.status).toBe(400);
    expect((response.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
    expect(body<{ errors: unknown[] }>(response).errors).toEqual([
      { field: "environment.MODE", message: "environment.MODE is not overridable for job report; overridable: DAY" },
    ]);
    expect(h.app.emulator!.requests.length).toBe(before);
  });

  it("lists the jobs with their next fire times in UTC", async () => {
    const list = await createListJobsHandler(deps(new Date("2026-11-28T09:30:00Z")))(new HttpRequest({ method: "GET", url: "http://localhost/api/jobs" }), context());
    const jobsListed = body<{ jobs: { id: string; schedule: { nextFireTimes: string[] } | null }[] }>(list).jobs;
    expect(jobsListed.find((j) => j.id === "azure_container_instances")?.schedule?.nextFireTimes).toEqual([
      "2026-11-29T00:00:00.000Z",
      "2026-11-30T00:00:00.000Z",
      "2026-12-01T00:00:00.000Z",
    ]);
    expect(jobsListed.find((j) => j.id === "parallel")?.schedule).toBeNull();
  });

  it("lists a job scheduled in a time zone with its zone, its UTC timer and its next fire times in local time", async () => {
    const list = await createListJobsHandler(deps(new Date("2026-03-26T12:00:00Z")))(new HttpRequest({ method: "GET", url: "http://localhost/api/jobs" }), context());
    const listed = body<{ jobs: { id: string; schedule: unknown }[] }>(list).jobs.find((j) => j.id === "berlin_morning");
    expect(listed?.schedule).toEqual({
      expression: "0 9 * * 1-5",
      ncrontab: "0 0 9 * * 1-5",
      timeZone: "Europe/Berlin",
      nextFireTimes: ["2026-03-27T09:00:00+01:00", "2026-03-30T09:00:00+02:00", "2026-03-31T09:00:00+02:00"],
      timerSchedule: "0 0 7,8 * * *",
    });
  });
});

describe("the run's logical date in its container", () => {
  const job = () => h.app.jobs.get("daily_export") as JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };
  const groupOf = (runId: string) =>
    new Promise<ContainerGroup | undefined>((resolve, reject) => {
      const stop = h.onLog((record) => {
        const match = new RegExp(`^\\[daily_export run ${runId} attempt 1\\] container group ([a-z0-9-]+): running$`, "u").exec(record.message);
        if (!match) return;
        stop();
        h.app.services.aci.get(match[1]!).then(resolve, reject);
      });
    });
  const variables = (group: ContainerGroup | undefined) => Object.fromEntries((group?.containers[0]?.environmentVariables ?? []).map((v) => [v.name, v.value]));

  it("a scheduled run's container gets its slot, data interval and the command with {{ ds }} filled in", async () => {
    const runId = "daily_export-scheduled-20261127T020000Z";
    const group = groupOf(runId);
    await createScheduledRunHandler(job(), deps(new Date("2026-11-27T02:00:00.008Z")))(timer(), h.app.host.client, context());
    const created = await group;
    await h.app.host.waitForCompletion(runId);
    expect(variables(created)).toEqual({
      TARGET: "exports/20261127",
      ACI_JOBS_JOB: "daily_export",
      ACI_JOBS_RUN_ID: runId,
      ACI_JOBS_ATTEMPT: "1",
      ACI_JOBS_SLOT: "2026-11-27T02:00:00Z",
      ACI_JOBS_INTERVAL_START: "2026-11-26T02:00:00Z",
      ACI_JOBS_INTERVAL_END: "2026-11-27T02:00:00Z",
    });
    expect(h.containerLines(runId)).toEqual(["exporting 2026-11-27 from 2026-11-26T02:00:00Z"]);
  });

  it("a run on request may name a past slot, to reprocess that day", async () => {
    const response = await createStartRunHandler(deps(new Date("2026-11-28T09:30:00Z")))(post("daily_export", JSON.stringify({ slot: "2026-11-20T02:00:00Z" })), h.app.host.client, context());
    expect(response.status).toBe(202);
    const { runId } = body<{ runId: string }>(response);
    const created = await groupOf(runId);
    await h.app.host.waitForCompletion(runId);
    expect(variables(created)).toMatchObject({ ACI_JOBS_SLOT: "2026-11-20T02:00:00Z", ACI_JOBS_INTERVAL_START: "2026-11-19T02:00:00Z", TARGET: "exports/20261120" });
    const view = body<RunView>(await createGetRunHandler(deps())(get("daily_export", runId), h.app.host.client, context()));
    expect(view).toMatchObject({ overrides: { slot: "2026-11-20T02:00:00Z" }, times: { slot: "2026-11-20T02:00:00Z", ds: "2026-11-20" } });
  });
});

describe("POST /api/jobs/{job}/runs/{runId}/rerun", () => {
  const rerun = (job: string, runId: string) =>
    createRerunHandler(deps(new Date("2026-11-28T10:00:00Z")))(
      new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs/${runId}/rerun`, params: { job, runId } }),
      h.app.host.client,
      context(),
    );

  it("starts a new run with the run's job snapshot, slot and overrides, and records which run it reruns", async () => {
    const job = h.app.jobs.get("daily_export") as JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };
    const original = "daily_export-scheduled-20261125T020000Z";
    await createScheduledRunHandler(job, deps(new Date("2026-11-25T02:00:00.005Z")))(timer(), h.app.host.client, context());
    await h.app.host.waitForCompletion(original);

    const response = await rerun("daily_export", original);
    expect(response.status).toBe(202);
    const { runId, rerunOf } = body<{ runId: string; rerunOf: string }>(response);
    expect(rerunOf).toBe(original);
    expect(runId).not.toBe(original);
    await h.app.host.waitForCompletion(runId);
    const view = body<RunView>(await createGetRunHandler(deps())(get("daily_export", runId), h.app.host.client, context()));
    expect(view).toMatchObject({ state: "succeeded", trigger: { kind: "rerun", rerunOf: original }, times: { slot: "2026-11-25T02:00:00Z", ds: "2026-11-25" } });
    expect(h.containerLines(runId)).toEqual(["exporting 2026-11-25 from 2026-11-24T02:00:00Z"]);

    // A run started with overrides is rerun with them.
    const withOverrides = await createStartRunHandler(deps())(post("report", JSON.stringify({ environment: { DAY: "2026-01-31" }, command: ["sh", "-c", "echo report for the overridden day"] })), h.app.host.client, context());
    const first = body<{ runId: string }>(withOverrides).runId;
    await h.app.host.waitForCompletion(first);
    const again = body<{ runId: string }>(await rerun("report", first)).runId;
    await h.app.host.waitForCompletion(again);
    expect(h.containerLines(again)).toEqual(["report for the overridden day"]);
    expect(body<RunView>(await createGetRunHandler(deps())(get("report", again), h.app.host.client, context()))).toMatchObject({
      overrides: { environment: { DAY: "2026-01-31" } },
      trigger: { kind: "rerun", rerunOf: first },
    });
  });

  it("obeys the job's active-run limit, and answers 404 for an unknown run", async () => {
    const started = await createStartRunHandler(deps())(post("azure_container_instances"), h.app.host.client, context());
    const { runId } = body<{ runId: string }>(started);
    const refused = await rerun("azure_container_instances", runId);
    expect(refused.status).toBe(409);
    expect(body<{ activeRuns: string[] }>(refused).activeRuns).toEqual([runId]);
    await h.app.host.waitForCompletion(runId);
    expect((await rerun("azure_container_instances", "azure_container_instances-20200101T000000Z-00000000")).status).toBe(404);
    expect((await rerun("azure_container_instances", "../x")).status).toBe(404);
  });
});

describe("a timer in a time zone", () => {
  const job = () => h.app.jobs.get("berlin_morning") as JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };

  it("starts the local slot's run at 09:00 Berlin time, and nothing at the UTC firing that is no slot", async () => {
    const lines: string[] = [];
    // Monday 30 March, the first weekday in summer time: 09:00 CEST is 07:00 UTC; the 08:00 UTC firing is winter's.
    await createScheduledRunHandler(job(), deps(new Date("2026-03-30T07:00:00.004Z")))(timer(), h.app.host.client, context(lines));
    await createScheduledRunHandler(job(), deps(new Date("2026-03-30T08:00:00.004Z")))(timer(), h.app.host.client, context(lines));
    expect(lines).toEqual([
      "started scheduled run berlin_morning-scheduled-20260330T070000Z of berlin_morning for 2026-03-30T07:00:00.000Z",
      "timer of berlin_morning fired at 2026-03-30T08:00:00.004Z, which is no slot of its schedule in Europe/Berlin; nothing to start",
    ]);
    const status = await h.app.host.waitForCompletion("berlin_morning-scheduled-20260330T070000Z");
    expect(status.input).toMatchObject({ trigger: { kind: "schedule", slot: "2026-03-30T07:00:00.000Z", pastDue: false } });
  });

  it("registers its timer on the UTC schedule that covers both of Berlin's offsets", () => {
    expect(job().schedule.timerSchedule).toBe("0 0 7,8 * * *");
  });
});

describe("the daily timer", () => {
  const job = () => h.app.jobs.get("azure_container_instances") as JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };

  it("starts one run named after its schedule slot, and a second firing for the same slot starts nothing", async () => {
    const firedAt = new Date("2026-11-28T00:00:00.012Z");
    const handler = createScheduledRunHandler(job(), { ...deps(firedAt) });
    const lines: string[] = [];
    await handler(timer(), h.app.host.client, context(lines));
    await handler(timer(), h.app.host.client, context(lines));
    const runId = "azure_container_instances-scheduled-20261128T000000Z";
    expect(lines[0]).toBe(`started scheduled run ${runId} of azure_container_instances for 2026-11-28T00:00:00.000Z`);
    expect(lines[1]).toMatch(/already has run azure_container_instances-scheduled-20261128T000000Z; not starting another/u);
    const status = await h.app.host.waitForCompletion(runId);
    expect(status.input).toMatchObject({ trigger: { kind: "schedule", slot: "2026-11-28T00:00:00.000Z", pastDue: false } });
  });

  it("starts a single run for the latest slot when it fires past due after downtime (no catch-up)", async () => {
    const handler = createScheduledRunHandler(job(), deps(new Date("2026-12-03T07:45:00Z")));
    const lines: string[] = [];
    await handler(timer(true), h.app.host.client, context(lines));
    expect(lines).toEqual(["started scheduled run azure_container_instances-scheduled-20261203T000000Z of azure_container_instances for 2026-12-03T00:00:00.000Z (past due)"]);
    await h.app.host.waitForCompletion("azure_container_instances-scheduled-20261203T000000Z");
  });

  it("starts nothing and says why when a run is still active", async () => {
    const start = await createStartRunHandler(deps())(post("azure_container_instances"), h.app.host.client, context());
    const { runId } = body<{ runId: string }>(start);
    const lines: string[] = [];
    await createScheduledRunHandler(job(), deps(new Date("2026-12-10T00:00:00Z")))(timer(), h.app.host.client, context(lines));
    expect(lines).toEqual([
      `skipping schedule slot 2026-12-10T00:00:00.000Z of azure_container_instances: at most 1 active run(s) allowed and 1 active (${runId})`,
    ]);
    await h.app.host.waitForCompletion(runId);
    await expect(h.app.host.client.getStatus("azure_container_instances-scheduled-20261210T000000Z")).rejects.toThrow(/404/u);
  });
});
