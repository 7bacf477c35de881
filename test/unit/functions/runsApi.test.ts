import { HttpRequest, InvocationContext, type HttpResponseInit, type LogLevel } from "@azure/functions";
import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { createGetRunHandler, createListJobsHandler, createStartRunHandler, type RunsApiDeps } from "../../../src/functions/runsApi";
import { loadJobs } from "../../../src/jobs";
import type { RunInput, RunOverrides, RunProgress, RunResult } from "../../../src/runs/contracts";
import type { RunSlots, SlotClaim } from "../../../src/runs/runSlots";
import type { RunClient } from "../../../src/runs/startRun";

const JOB = "azure_container_instances";
const NOW = new Date("2026-03-01T12:34:56.789Z");
const BASE = "http://localhost:7071";
const jobs = loadJobs();
const tutorial = jobs.get(JOB)!;
/** A job whose caller may choose the command, DAY, the tag 1.3 and up to 2 vCPU. */
const report = {
  id: "report",
  overrides: { command: true, environment: ["DAY"], imageTags: ["1.3"], cpu: { max: 2 } },
  container: { image: "myregistry.azurecr.io:5000/team/report:1.2", command: ["report"], environment: { DAY: "today", MODE: "full" } },
};

class FakeRunClient implements RunClient {
  readonly instances = new Map<string, df.DurableOrchestrationStatus>();
  readonly started: Array<{ name: string; options: df.StartNewOptions | undefined }> = [];
  statusError: unknown;

  async startNew(name: string, options?: df.StartNewOptions): Promise<string> {
    this.started.push({ name, options });
    return options?.instanceId ?? "generated";
  }

  async getStatus(id: string): Promise<df.DurableOrchestrationStatus> {
    if (this.statusError) throw this.statusError;
    const found = this.instances.get(id);
    if (!found) {
      throw new Error(
        `DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${id}.`,
      );
    }
    return found;
  }
}

class FakeRunSlots implements RunSlots {
  answer: SlotClaim = { acquired: true, slot: 0 };
  async claim(): Promise<SlotClaim> {
    return this.answer;
  }
  async release(): Promise<boolean> {
    return true;
  }
}

function contextWithLog() {
  const lines: Array<{ level: LogLevel; message: string }> = [];
  const context = new InvocationContext({
    functionName: "startJobRun",
    invocationId: "inv-7",
    logHandler: (level, ...args) => lines.push({ level, message: args.map(String).join(" ") }),
  });
  return { context, lines };
}

function deps(slots: RunSlots | undefined = new FakeRunSlots()): RunsApiDeps {
  return { jobs, defaultRegion: "westus", slots, now: () => NOW };
}

function post(job: string, body?: string): HttpRequest {
  return new HttpRequest({
    method: "POST",
    url: `${BASE}/api/jobs/${job}/runs`,
    params: { job },
    ...(body === undefined ? {} : { body: { string: body } }),
  });
}

function get(job: string, runId: string): HttpRequest {
  return new HttpRequest({ method: "GET", url: `${BASE}/api/jobs/${job}/runs/${runId}`, params: { job, runId } });
}

function runStatus(
  instanceId: string,
  runtimeStatus: df.OrchestrationRuntimeStatus,
  fields: { jobId?: string; name?: string; output?: unknown; customStatus?: unknown; overrides?: RunOverrides } = {},
): df.DurableOrchestrationStatus {
  const input: RunInput = {
    runId: instanceId,
    job: { ...tutorial, id: fields.jobId ?? JOB },
    region: "eastus",
    trigger: { kind: "http" },
    holdsRunSlot: true,
    ...(fields.overrides ? { overrides: fields.overrides } : {}),
  };
  return {
    name: fields.name ?? "runJob",
    instanceId,
    createdTime: new Date("2026-03-01T12:00:00Z"),
    lastUpdatedTime: new Date("2026-03-01T12:00:30Z"),
    input,
    output: fields.output ?? null,
    runtimeStatus,
    customStatus: fields.customStatus,
  };
}

/** Every error answer: problem+json with the given status, and nothing that looks like a stack trace. */
function expectProblem(response: HttpResponseInit, status: number): Record<string, unknown> {
  expect(response.status).toBe(status);
  expect(response.headers).toEqual({ "content-type": "application/problem+json" });
  const body = response.jsonBody as Record<string, unknown>;
  expect(body).toMatchObject({ type: "about:blank", status });
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |\bat .*:\d+:\d+|"stack"/u);
  return body;
}

describe("POST /api/jobs/{job}/runs", () => {
  it("answers 404 problem+json for an unknown job, pointing to the job list", async () => {
    const client = new FakeRunClient();
    const response = await createStartRunHandler(deps())(post("no_such_job"), client, contextWithLog().context);
    const body = expectProblem(response, 404);
    expect(body.detail).toBe('There is no job "no_such_job". GET /api/jobs lists the jobs.');
    expect(client.started).toEqual([]);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const client = new FakeRunClient();
    const response = await createStartRunHandler(deps())(post(JOB, "{not json"), client, contextWithLog().context);
    expect(expectProblem(response, 400).detail).toBe("The request body is not valid JSON.");
    expect(client.started).toEqual([]);
  });

  it("answers 400 naming an unknown body field, and starts nothing", async () => {
    const client = new FakeRunClient();
    const response = await createStartRunHandler(deps())(post(JOB, '{"image":"evil:latest"}'), client, contextWithLog().context);
    const detail = expectProblem(response, 400).detail as string;
    expect(detail).toMatch(/^The request body is not a valid run request: .*"image"/u);
    expect(detail.match(/"image"/gu)).toHaveLength(1);
    expect(client.started).toEqual([]);
  });

  it("answers 400 naming every field the job does not let a caller override, with the problems in errors", async () => {
    const client = new FakeRunClient();
    const body = JSON.stringify({ command: ["sh"], environment: { FOO: "1" }, cpu: 4 });
    const response = await createStartRunHandler(deps())(post(JOB, body), client, contextWithLog().context);
    const problem = expectProblem(response, 400);
    expect(problem.detail).toBe(
      "The request body is not a valid run request: command is not overridable for job azure_container_instances; " +
        "environment.FOO is not overridable for job azure_container_instances; overridable: none; " +
        "cpu is not overridable for job azure_container_instances.",
    );
    expect(problem.errors).toEqual([
      { field: "command", message: "command is not overridable for job azure_container_instances" },
      { field: "environment.FOO", message: "environment.FOO is not overridable for job azure_container_instances; overridable: none" },
      { field: "cpu", message: "cpu is not overridable for job azure_container_instances" },
    ]);
    expect(client.started).toEqual([]);
  });

  it("answers 400 for a JSON body that is not an object", async () => {
    const response = await createStartRunHandler(deps())(post(JOB, "[]"), new FakeRunClient(), contextWithLog().context);
    expectProblem(response, 400);
  });

  it("answers 409 with the active runs when the job's limit is reached", async () => {
    const slots = new FakeRunSlots();
    slots.answer = { acquired: false, activeRunIds: ["azure_container_instances-scheduled-20260301T000000Z"] };
    const client = new FakeRunClient();
    const { context, lines } = contextWithLog();
    const response = await createStartRunHandler(deps(slots))(post(JOB), client, context);

    const body = expectProblem(response, 409);
    expect(body.detail).toBe("Job azure_container_instances allows at most 1 active run(s) and that many are active.");
    expect(body.activeRuns).toEqual(["azure_container_instances-scheduled-20260301T000000Z"]);
    expect(client.started).toEqual([]);
    expect(lines.map((l) => l.level)).toEqual(["information"]);
  });

  it("answers 503 when no storage is configured for run slots", async () => {
    const client = new FakeRunClient();
    const response = await createStartRunHandler({ ...deps(), slots: undefined })(post(JOB), client, contextWithLog().context);
    expect(expectProblem(response, 503).detail).toMatch(/no storage is configured/u);
    expect(client.started).toEqual([]);
  });

  it("starts the run and answers 202 with Location, Retry-After and the run id", async () => {
    const client = new FakeRunClient();
    const response = await createStartRunHandler(deps())(post(JOB, "  "), client, contextWithLog().context);

    expect(response.status).toBe(202);
    const body = response.jsonBody as { runId: string; job: string; statusUrl: string };
    expect(body.runId).toMatch(/^azure_container_instances-20260301T123456Z-[0-9a-f]{8}$/u);
    expect(body.job).toBe(JOB);
    expect(body.statusUrl).toBe(`${BASE}/api/jobs/azure_container_instances/runs/${body.runId}`);
    expect(response.headers).toEqual({ location: body.statusUrl, "retry-after": "10" });
    expect(client.started).toHaveLength(1);
    expect(client.started[0]?.options?.instanceId).toBe(body.runId);
    expect((client.started[0]?.options?.input as RunInput).trigger).toEqual({ kind: "http" });
  });

  it("accepts an empty JSON object as the body", async () => {
    const response = await createStartRunHandler(deps())(post(JOB, "{}"), new FakeRunClient(), contextWithLog().context);
    expect(response.status).toBe(202);
  });

  it("starts a run of the job with the caller's overrides merged in, and records them in the input", async () => {
    const client = new FakeRunClient();
    const { context, lines } = contextWithLog();
    const overrides = { command: ["report", "--day", "2026-02-28"], environment: { DAY: "2026-02-28" }, imageTag: "1.3", cpu: 2 };
    const response = await createStartRunHandler({ ...deps(), jobs: loadJobs([report]) })(post("report", JSON.stringify(overrides)), client, context);

    expect(response.status).toBe(202);
    const input = client.started[0]?.options?.input as RunInput;
    expect(input.overrides).toEqual(overrides);
    expect(input.job.container).toMatchObject({
      image: "myregistry.azurecr.io:5000/team/report:1.3",
      command: ["report", "--day", "2026-02-28"],
      environment: { DAY: "2026-02-28", MODE: "full" },
      cpu: 2,
    });
    // The log names what was overridden, never the values.
    expect(lines.map((l) => l.message)).toEqual([
      `started run ${input.runId} of report on request overriding command, environment.DAY, imageTag, cpu`,
    ]);
  });

  it("answers 400 for an override above the job's bound and for a tag outside its list, naming the field", async () => {
    const handler = createStartRunHandler({ ...deps(), jobs: loadJobs([report]) });
    const tooBig = expectProblem(await handler(post("report", '{"cpu": 3}'), new FakeRunClient(), contextWithLog().context), 400);
    expect(tooBig.errors).toEqual([{ field: "cpu", message: "cpu 3 is more than job report allows (at most 2)" }]);
    const wrongTag = expectProblem(await handler(post("report", '{"imageTag": "latest"}'), new FakeRunClient(), contextWithLog().context), 400);
    expect(wrongTag.errors).toEqual([{ field: "imageTag", message: 'imageTag "latest" is not allowed for job report; allowed: 1.3' }]);
  });

  it("records no overrides for an empty body or {}: a plain run of the job as defined", async () => {
    for (const body of [undefined, "{}"]) {
      const client = new FakeRunClient();
      await createStartRunHandler({ ...deps(), jobs: loadJobs([report]) })(post("report", body), client, contextWithLog().context);
      const input = client.started[0]?.options?.input as RunInput;
      expect(input).not.toHaveProperty("overrides");
      expect(input.job).toEqual(loadJobs([report]).get("report"));
    }
  });

  it("finds the job whatever the case of its id in the URL", async () => {
    const response = await createStartRunHandler(deps())(post("Azure_Container_Instances"), new FakeRunClient(), contextWithLog().context);
    expect((response.jsonBody as { job: string }).job).toBe(JOB);
  });
});

describe("GET /api/jobs/{job}/runs/{runId}", () => {
  it("answers 404 for a run id that does not exist", async () => {
    const response = await createGetRunHandler(deps())(get(JOB, "nope"), new FakeRunClient(), contextWithLog().context);
    expect(expectProblem(response, 404).detail).toBe("Job azure_container_instances has no run nope.");
  });

  it("answers 404 for a run of another job", async () => {
    const client = new FakeRunClient();
    client.instances.set("other-run", runStatus("other-run", df.OrchestrationRuntimeStatus.Running, { jobId: "other_job" }));
    const response = await createGetRunHandler(deps())(get(JOB, "other-run"), client, contextWithLog().context);
    expectProblem(response, 404);
  });

  it("answers 404 for an instance that is not a run (a watch sub-orchestration)", async () => {
    const client = new FakeRunClient();
    client.instances.set("r-attempt1-watch", runStatus("r-attempt1-watch", df.OrchestrationRuntimeStatus.Running, { name: "watchContainerGroup" }));
    const response = await createGetRunHandler(deps())(get(JOB, "r-attempt1-watch"), client, contextWithLog().context);
    expectProblem(response, 404);
  });

  it("shows a completed run's state as its result's status, with the result", async () => {
    const result = { runId: "r1", jobId: JOB, status: "failed", detail: "exit code 1", exitCode: 1 } as unknown as RunResult;
    const client = new FakeRunClient();
    client.instances.set("r1", runStatus("r1", df.OrchestrationRuntimeStatus.Completed, { output: result }));
    const response = await createGetRunHandler(deps())(get(JOB, "r1"), client, contextWithLog().context);

    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({
      runId: "r1",
      job: JOB,
      state: "failed",
      result,
      trigger: { kind: "http" },
      createdAt: "2026-03-01T12:00:00.000Z",
      lastUpdatedAt: "2026-03-01T12:00:30.000Z",
    });
  });

  it("shows the overrides the run was started with", async () => {
    const overrides: RunOverrides = { environment: { DAY: "2026-02-28" }, cpu: 2 };
    const client = new FakeRunClient();
    client.instances.set("r5", runStatus("r5", df.OrchestrationRuntimeStatus.Running, { overrides }));
    const response = await createGetRunHandler(deps())(get(JOB, "r5"), client, contextWithLog().context);
    expect(response.jsonBody).toMatchObject({ state: "running", overrides });
  });

  it("shows no overrides for a plain run", async () => {
    const client = new FakeRunClient();
    client.instances.set("r6", runStatus("r6", df.OrchestrationRuntimeStatus.Running));
    const response = await createGetRunHandler(deps())(get(JOB, "r6"), client, contextWithLog().context);
    expect(response.jsonBody).not.toHaveProperty("overrides");
  });

  it("adds the watch's status to a running run's progress while it watches the container", async () => {
    const progress: RunProgress = { phase: "watching", attempt: 2, groupName: "azure-tutorial-container", attempts: [] };
    const client = new FakeRunClient();
    client.instances.set("r2", runStatus("r2", df.OrchestrationRuntimeStatus.Running, { customStatus: progress }));
    client.instances.set(
      "r2-attempt2-watch",
      runStatus("r2-attempt2-watch", df.OrchestrationRuntimeStatus.Running, { name: "watchContainerGroup", customStatus: { phase: "running", polls: 3 } }),
    );
    const response = await createGetRunHandler(deps())(get(JOB, "r2"), client, contextWithLog().context);
    expect(response.jsonBody).toMatchObject({ state: "running", progress: { ...progress, container: { phase: "running", polls: 3 } } });
  });

  it("shows a failed orchestration as error with the first line of its output only", async () => {
    const client = new FakeRunClient();
    client.instances.set("r3", runStatus("r3", df.OrchestrationRuntimeStatus.Failed, { output: "Orchestrator function 'runJob' failed: boom\n    at runJob (/app/dist/x.js:1:2)" }));
    const response = await createGetRunHandler(deps())(get(JOB, "r3"), client, contextWithLog().context);
    expect(response.jsonBody).toMatchObject({ state: "error", detail: "The orchestration failed: Orchestrator function 'runJob' failed: boom" });
    expect(JSON.stringify(response.jsonBody)).not.toContain("x.js");
  });

  it("answers a generic 500 problem without details when the Durable client fails, and logs the failure", async () => {
    const client = new FakeRunClient();
    client.statusError = new Error("DurableClient error: HTTP 500 from the extension");
    const { context, lines } = contextWithLog();
    const response = await createGetRunHandler(deps())(get(JOB, "r4"), client, context);
    const body = expectProblem(response, 500);
    expect(body.detail).toBe("Something went wrong on our side. Invocation inv-7 has the details in the function log.");
    expect(JSON.stringify(body)).not.toContain("HTTP 500 from the extension");
    expect(lines.filter((l) => l.level === "error")).toHaveLength(1);
  });
});

describe("GET /api/jobs", () => {
  it("lists the tutorial job with its schedule in UTC and the next three midnights", async () => {
    const response = await createListJobsHandler(deps())(new HttpRequest({ method: "GET", url: `${BASE}/api/jobs` }), contextWithLog().context);
    expect(response.status).toBe(200);
    const { jobs: listed } = response.jsonBody as { jobs: Array<Record<string, unknown>> };
    expect(listed).toHaveLength(1);
    expect(listed[0]).toEqual({
      id: JOB,
      description: tutorial.description,
      schedule: {
        expression: "@daily",
        ncrontab: "0 0 0 * * *",
        timeZone: "UTC",
        nextFireTimes: ["2026-03-02T00:00:00.000Z", "2026-03-03T00:00:00.000Z", "2026-03-04T00:00:00.000Z"],
      },
      maxActiveRuns: 1,
      retries: 1,
      retryDelay: "1m",
      timeout: "1d",
      container: { image: "hello-world:latest", region: "eastus", cpu: 1, memoryInGB: 1.5, groupName: "azure-tutorial-container" },
      overrides: { command: false, environment: [], imageTags: [] },
    });
  });

  it("shows what a caller may override for each job", async () => {
    const response = await createListJobsHandler({ ...deps(), jobs: loadJobs([report]) })(
      new HttpRequest({ method: "GET", url: `${BASE}/api/jobs` }),
      contextWithLog().context,
    );
    const [job] = (response.jsonBody as { jobs: Array<Record<string, unknown>> }).jobs;
    expect(job?.overrides).toEqual({ command: true, environment: ["DAY"], imageTags: ["1.3"], cpu: { max: 2 } });
  });

  it("shows the default region and no schedule for an on-request job without a region", async () => {
    const onRequest = loadJobs([{ id: "adhoc", container: { image: "busybox" } }]);
    const response = await createListJobsHandler({ ...deps(), jobs: onRequest })(
      new HttpRequest({ method: "GET", url: `${BASE}/api/jobs` }),
      contextWithLog().context,
    );
    const [job] = (response.jsonBody as { jobs: Array<Record<string, unknown>> }).jobs;
    expect(job).toMatchObject({ id: "adhoc", schedule: null, container: { region: "westus", cpu: 1, memoryInGB: 2 } });
    expect(job).not.toHaveProperty("description");
    expect(job?.container).not.toHaveProperty("groupName");
  });
});
