import { HttpRequest, InvocationContext, type HttpResponseInit, type LogLevel } from "@azure/functions";
import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { createListJobsHandler } from "../../../src/functions/jobsApi";
import { createGetRunHandler, createStartRunHandler, type RunsApiDeps } from "../../../src/functions/runsApi";
import { loadJobs } from "../../../src/jobs";
import type { RunInput, RunOverrides, RunProgress, RunResult } from "../../../src/runs/contracts";
import type { RunSlots, SlotClaim } from "../../../src/runs/runSlots";
import { isRunIdOf, newRunId, scheduledRunId, type RunClient } from "../../../src/runs/startRun";

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

/** A run id of the tutorial job in the shape newRunId gives; GET refuses any other shape before the client. */
const run = (n: number) => `${JOB}-20260301T1200${String(n).padStart(2, "0")}Z-${String(n).padStart(8, "0")}`;

class FakeRunClient implements RunClient {
  readonly instances = new Map<string, df.DurableOrchestrationStatus>();
  readonly started: Array<{ name: string; options: df.StartNewOptions | undefined }> = [];
  /** Every instance id the handler asked the client about. */
  readonly looked: string[] = [];
  statusError: unknown;

  async startNew(name: string, options?: df.StartNewOptions): Promise<string> {
    this.started.push({ name, options });
    return options?.instanceId ?? "generated";
  }

  async getStatus(id: string): Promise<df.DurableOrchestrationStatus> {
    this.looked.push(id);
    if (this.statusError) throw this.statusError;
    const found = this.instances.get(id);
    if (!found) {
      throw new Error(
        `DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${id}.`,
      );
    }
    return found;
  }

  /** Only a cancel raises events; these tests start and read runs. */
  async raiseEvent(): Promise<void> {
    throw new Error("raiseEvent is not expected here");
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
  async holds(): Promise<boolean> {
    return false;
  }
  async holders(): Promise<Array<{ runId: string; claimedAt: string }>> {
    return [];
  }
  async claimFree(): Promise<boolean> {
    return false;
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

function post(job: string, body?: string, headers?: Record<string, string>): HttpRequest {
  return new HttpRequest({
    method: "POST",
    url: `${BASE}/api/jobs/${job}/runs`,
    params: { job },
    ...(body === undefined ? {} : { body: { string: body } }),
    ...(headers ? { headers } : {}),
  });
}

/** The route parameter is the decoded segment, as the host passes it; the URL carries it encoded. */
function get(job: string, runId: string): HttpRequest {
  return new HttpRequest({ method: "GET", url: `${BASE}/api/jobs/${job}/runs/${encodeURIComponent(runId)}`, params: { job, runId } });
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
    expect(body.detail).toBe("Job azure_container_instances allows at most 1 active run(s) and that many are active (overlap skip).");
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

describe("POST /api/jobs/{job}/runs: bounded requests and replies (issue 9)", () => {
  const LIMIT = 64 * 1024;
  /** A JSON object of `count` unknown keys, padded to about `bytes` bytes. */
  const unknownKeys = (bytes: number) => {
    const keys: string[] = [];
    let size = 2;
    for (let i = 0; size < bytes - 20; i++) {
      const entry = `"unknown_field_${i}":1`;
      keys.push(entry);
      size += entry.length + 1;
    }
    return `{${keys.join(",")}}`;
  };

  it("answers a 1 MB body of unknown keys with a small 413, and starts nothing", async () => {
    const client = new FakeRunClient();
    const body = unknownKeys(1 << 20);
    expect(body.length).toBeGreaterThan(1_000_000);
    const response = await createStartRunHandler(deps())(post(JOB, body), client, contextWithLog().context);
    expect(expectProblem(response, 413)).toEqual({
      type: "about:blank",
      title: "Content Too Large",
      status: 413,
      detail: "The request body is larger than 64 KiB, the most a run request may have.",
    });
    expect(client.started).toEqual([]);
  });

  it("refuses at once when Content-Length is over the limit, and counts the bytes when it is missing or wrong", async () => {
    const handler = createStartRunHandler(deps());
    // Content-Length alone decides: the body is not read.
    expectProblem(await handler(post(JOB, "{}", { "content-length": String(LIMIT + 1) }), new FakeRunClient(), contextWithLog().context), 413);
    // Bytes read decide when the header understates the body, or there is none.
    const padded = `{}${" ".repeat(LIMIT)}`;
    expectProblem(await handler(post(JOB, padded, { "content-length": "2" }), new FakeRunClient(), contextWithLog().context), 413);
    expectProblem(await handler(post(JOB, padded), new FakeRunClient(), contextWithLog().context), 413);
    // Multi-byte characters count as the bytes they are: 22,000 euro signs are 66,000 bytes.
    expectProblem(await handler(post(JOB, `{"x":"${"€".repeat(22_000)}"}`), new FakeRunClient(), contextWithLog().context), 413);
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const body = `{}${" ".repeat(LIMIT - 2)}`;
    const response = await createStartRunHandler(deps())(post(JOB, body, { "content-length": String(LIMIT) }), new FakeRunClient(), contextWithLog().context);
    expect(response.status).toBe(202);
  });

  it("answers a body of thousands of unknown keys under the limit with a bounded 400", async () => {
    const client = new FakeRunClient();
    const response = await createStartRunHandler(deps())(post(JOB, unknownKeys(60 * 1024)), client, contextWithLog().context);
    const problem = expectProblem(response, 400) as { detail: string; errors: unknown[]; errorsNotListed: number };
    expect(problem.errors).toHaveLength(20);
    expect(problem.errorsNotListed).toBeGreaterThan(2_000);
    expect(problem.detail).toMatch(/^The request body is not a valid run request: "unknown_field_0" is not a field .*; and \d+ more \(see errors\)\.$/u);
    expect(JSON.stringify(response.jsonBody).length).toBeLessThan(16 * 1024);
    expect(client.started).toEqual([]);
  });

  it("refuses overrides ACI would refuse: cpu 5e-324, memory 1e-300, 100,000 arguments", async () => {
    const jobs = loadJobs([{ ...report, overrides: { ...report.overrides, memoryInGB: { max: 8 } } }]);
    const handler = createStartRunHandler({ ...deps(), jobs });
    const tiny = expectProblem(await handler(post("report", '{"cpu": 5e-324, "memoryInGB": 1e-300}'), new FakeRunClient(), contextWithLog().context), 400);
    expect((tiny.errors as Array<{ field: string }>).map((e) => e.field)).toEqual(["cpu", "memoryInGB"]);
    const args = JSON.stringify({ command: Array.from({ length: 100_000 }, () => "") });
    expect(args.length).toBeGreaterThan(LIMIT);
    expectProblem(await handler(post("report", args), new FakeRunClient(), contextWithLog().context), 413);
    const manyArgs = JSON.stringify({ command: Array.from({ length: 1_000 }, () => "a") });
    const refused = expectProblem(await handler(post("report", manyArgs), new FakeRunClient(), contextWithLog().context), 400);
    expect(refused.errors).toEqual([{ field: "command", message: "command may have at most 256 arguments" }]);
  });
});

describe("GET /api/jobs/{job}/runs/{runId}: run ids are checked before the Durable client (issue 9, item 4)", () => {
  const SHAPES = `Job ${JOB} has no run with that id. Run ids look like ${JOB}-20261128T093012Z-1a2b3c4d or ${JOB}-scheduled-20261128T000000Z.`;
  const hostile = [
    "",
    " ",
    ".",
    "..",
    "../..",
    `${run(1)}/..`,
    `../${run(1)}`,
    `${run(1)}/../../instances`,
    "?",
    `${run(1)}?showHistory=true`,
    `${run(1)}?showInput=true&top=1000`,
    `${run(1)}#fragment`,
    `${run(1)}&taskHub=otherhub`,
    `${run(1)}&connection=Storage`,
    "&taskHub=x",
    "%",
    "%25",
    "%2e%2e",
    `${run(1)}%2F..%2F..`,
    `..%2F..%2Finstances`,
    `${run(1)}%00`,
    `${run(1)}\u0000`,
    `${run(1)}\n`,
    `\r\n${run(1)}`,
    "*",
    "instances",
    "x".repeat(100_000),
    `${JOB}-${"1".repeat(10_000)}`,
    `${run(1)}${"0".repeat(10_000)}`,
    "ａｚｕｒｅ_container_instances-20260301T120001Z-00000001",
    `${JOB}-20260301Ｔ120001Z-00000001`,
    `${JOB}-２0260301T120001Z-00000001`,
    `${run(1)}\u200b`,
    `${JOB}-20260301T120001Z-0000000G`,
    `${JOB}-20260301T120001Z-ABCDEF12`,
    `${JOB}-2026031T120001Z-00000001`,
    `${JOB}-20260301T120001Z-00000001-attempt1-watch`,
    `${JOB}-scheduled-20260301T000000Z-attempt1-watch`,
    `${JOB}-scheduled-`,
    `${JOB}-scheduled-20260301T000000`,
    run(1).toUpperCase(),
    `report-20260301T120001Z-00000001`,
    `report-scheduled-20260301T000000Z`,
    `${JOB}x-20260301T120001Z-00000001`,
    `x${run(1)}`,
  ];

  it(`answers each of ${hostile.length} hostile ids with 404 problem+json naming no internals, and never calls the client`, async () => {
    for (const runId of hostile) {
      const client = new FakeRunClient();
      const { context, lines } = contextWithLog();
      const response = await createGetRunHandler(deps())(get(JOB, runId), client, context);
      const body = expectProblem(response, 404);
      expect(body, JSON.stringify(runId.slice(0, 80))).toEqual({ type: "about:blank", title: "Not Found", status: 404, detail: SHAPES });
      expect(client.looked, JSON.stringify(runId.slice(0, 80))).toEqual([]);
      expect(lines).toEqual([]);
    }
  });

  it("finds runs of both shapes this app creates, whatever the case of the job in the URL", async () => {
    for (const runId of [newRunId(JOB, NOW), scheduledRunId(JOB, NOW)]) {
      const client = new FakeRunClient();
      client.instances.set(runId, runStatus(runId, df.OrchestrationRuntimeStatus.Running));
      for (const route of [JOB, "Azure_Container_Instances"]) {
        const response = await createGetRunHandler(deps())(get(route, runId), client, contextWithLog().context);
        expect(response.status, `${route} ${runId}`).toBe(200);
      }
      expect(client.looked).toEqual([runId, runId]);
    }
  });

  it("isRunIdOf accepts exactly the ids newRunId and scheduledRunId give for that job", () => {
    for (const jobId of [JOB, "a", "report", `J${"_9".repeat(31)}`]) {
      for (let i = 0; i < 20; i++) expect(isRunIdOf(jobId, newRunId(jobId, new Date(Date.UTC(2026, i % 12, 1 + i, i, i, i))))).toBe(true);
      expect(isRunIdOf(jobId, scheduledRunId(jobId, NOW))).toBe(true);
    }
    // A job whose id is a prefix of another's does not own the other's runs, nor the reverse.
    expect(isRunIdOf("a", newRunId("a_b", NOW))).toBe(false);
    expect(isRunIdOf("a_b", newRunId("a", NOW))).toBe(false);
    expect(isRunIdOf("report", newRunId(JOB, NOW))).toBe(false);
    for (const runId of hostile) expect(isRunIdOf(JOB, runId), JSON.stringify(runId.slice(0, 80))).toBe(false);
  });
});

describe("GET /api/jobs/{job}/runs/{runId}", () => {
  it("answers 404 for a run id that does not exist", async () => {
    const response = await createGetRunHandler(deps())(get(JOB, run(1)), new FakeRunClient(), contextWithLog().context);
    expect(expectProblem(response, 404).detail).toBe(`Job azure_container_instances has no run ${run(1)}.`);
  });

  it("answers 404 for a run of another job", async () => {
    const client = new FakeRunClient();
    // An id of this job's shape whose instance belongs to another job (defence in depth behind the shape check).
    client.instances.set(run(2), runStatus(run(2), df.OrchestrationRuntimeStatus.Running, { jobId: "other_job" }));
    const response = await createGetRunHandler(deps())(get(JOB, run(2)), client, contextWithLog().context);
    expectProblem(response, 404);
  });

  it("answers 404 for an instance that is not a run (a watch sub-orchestration)", async () => {
    const client = new FakeRunClient();
    // The shape check refuses "<run>-attempt1-watch" already; an instance of a run's shape that is not runJob is refused by name.
    client.instances.set(run(3), runStatus(run(3), df.OrchestrationRuntimeStatus.Running, { name: "watchContainerGroup" }));
    const response = await createGetRunHandler(deps())(get(JOB, run(3)), client, contextWithLog().context);
    expectProblem(response, 404);
  });

  it("shows a completed run's state as its result's status, with the result", async () => {
    const result = { runId: run(4), jobId: JOB, status: "failed", detail: "exit code 1", exitCode: 1 } as unknown as RunResult;
    const client = new FakeRunClient();
    client.instances.set(run(4), runStatus(run(4), df.OrchestrationRuntimeStatus.Completed, { output: result }));
    const response = await createGetRunHandler(deps())(get(JOB, run(4)), client, contextWithLog().context);

    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({
      runId: run(4),
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
    client.instances.set(run(5), runStatus(run(5), df.OrchestrationRuntimeStatus.Running, { overrides }));
    const response = await createGetRunHandler(deps())(get(JOB, run(5)), client, contextWithLog().context);
    expect(response.jsonBody).toMatchObject({ state: "running", overrides });
  });

  it("shows no overrides for a plain run", async () => {
    const client = new FakeRunClient();
    client.instances.set(run(6), runStatus(run(6), df.OrchestrationRuntimeStatus.Running));
    const response = await createGetRunHandler(deps())(get(JOB, run(6)), client, contextWithLog().context);
    expect(response.jsonBody).not.toHaveProperty("overrides");
  });

  it("adds the watch's status to a running run's progress while it watches the container", async () => {
    const progress: RunProgress = { phase: "watching", attempt: 2, groupName: "azure-tutorial-container", attempts: [] };
    const client = new FakeRunClient();
    client.instances.set(run(7), runStatus(run(7), df.OrchestrationRuntimeStatus.Running, { customStatus: progress }));
    client.instances.set(
      `${run(7)}-attempt2-watch`,
      runStatus(`${run(7)}-attempt2-watch`, df.OrchestrationRuntimeStatus.Running, { name: "watchContainerGroup", customStatus: { phase: "running", polls: 3 } }),
    );
    const response = await createGetRunHandler(deps())(get(JOB, run(7)), client, contextWithLog().context);
    expect(response.jsonBody).toMatchObject({ state: "running", progress: { ...progress, container: { phase: "running", polls: 3 } } });
  });

  it("shows a failed orchestration as error with the first line of its output only", async () => {
    const client = new FakeRunClient();
    client.instances.set(run(8), runStatus(run(8), df.OrchestrationRuntimeStatus.Failed, { output: "Orchestrator function 'runJob' failed: boom\n    at runJob (/app/dist/x.js:1:2)" }));
    const response = await createGetRunHandler(deps())(get(JOB, run(8)), client, contextWithLog().context);
    expect(response.jsonBody).toMatchObject({ state: "error", detail: "The orchestration failed: Orchestrator function 'runJob' failed: boom" });
    expect(JSON.stringify(response.jsonBody)).not.toContain("x.js");
  });

  it("answers a generic 500 problem without details when the Durable client fails, and logs the failure", async () => {
    const client = new FakeRunClient();
    client.statusError = new Error("DurableClient error: HTTP 500 from the extension");
    const { context, lines } = contextWithLog();
    const response = await createGetRunHandler(deps())(get(JOB, run(9)), client, context);
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
      overrides: { command: false, environment: [], imageTags: [], slot: false },
      // No storage here, so no pause to show.
      paused: null,
    });
  });

  it("shows what a caller may override for each job", async () => {
    const response = await createListJobsHandler({ ...deps(), jobs: loadJobs([report]) })(
      new HttpRequest({ method: "GET", url: `${BASE}/api/jobs` }),
      contextWithLog().context,
    );
    const [job] = (response.jsonBody as { jobs: Array<Record<string, unknown>> }).jobs;
    expect(job?.overrides).toEqual({ command: true, environment: ["DAY"], imageTags: ["1.3"], cpu: { max: 2 }, slot: false });
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
