/**
 * Issue 12, items 1 and 3: the run list (one job's and every job's: newest first, by state and time, in
 * pages) and an attempt's archived log over HTTP, through the real handlers, the in-process host, the
 * ACI emulator and Azurite. The app keeps its runs in a container of this file's own, so lists across
 * all jobs see only these runs.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createGetRunLogsHandler, createListJobRunsHandler, createListRunsHandler, type RunHistoryApiDeps } from "../../src/functions/runHistoryApi";
import { createCancelRunHandler, createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import type { RunResult } from "../../src/runs/contracts";
import type { RunSummary } from "../../src/runs/runSummary";
import { OPEN_API_DOCUMENT } from "../../src/http/openApi";
import { expectDocumented, seenResponses } from "../support/openApi";
import { useHarness } from "./harness";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const jobs = [
  { id: "nightly", retries: 0, container: { image: "test/nightly" } },
  { id: "flaky", retries: 1, retryDelay: "1m", container: { image: "test/flaky" } },
  { id: "lined", overlap: "bufferAll", container: { image: "test/lined" } },
];

const h = useHarness(jobs, { storage: true, runStateContainer: "history-test" });

function runsDeps(): RunsApiDeps {
  const s = h.app.services;
  return { jobs: h.app.jobs, defaultRegion: "eastus", slots: s.slots, queue: s.queue, index: s.index, now: () => new Date(h.app.clock.now()) };
}

function historyDeps(): RunHistoryApiDeps {
  return { jobs: h.app.jobs, index: h.app.services.index, archive: h.app.services.archive };
}

function context(): InvocationContext {
  return new InvocationContext({ functionName: "test", invocationId: "inv-1", logHandler: () => undefined });
}

async function start(job: string): Promise<string> {
  const request = new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs`, params: { job } });
  const response = await createStartRunHandler(runsDeps())(request, h.app.host.client, context());
  expect(response.status, JSON.stringify(response.jsonBody)).toBe(202);
  return (response.jsonBody as { runId: string }).runId;
}

async function finished(runId: string): Promise<RunResult> {
  const status = await h.app.host.waitForCompletion(runId);
  return status.output as RunResult;
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Every answer is also checked against the OpenAPI document (src/http/openApi.ts). */
async function list(job: string | undefined, params: Record<string, string> = {}, deps = historyDeps()): Promise<HttpResponseInit> {
  const qs = query(params);
  if (job === undefined) {
    const request = new HttpRequest({ method: "GET", url: `http://localhost:7071/api/runs?${qs}` });
    const response = await createListRunsHandler(deps)(request, h.app.host.client, context());
    await expectDocumented("GET", "/api/runs", response);
    return response;
  }
  const request = new HttpRequest({ method: "GET", url: `http://localhost:7071/api/jobs/${job}/runs?${qs}`, params: { job } });
  const response = await createListJobRunsHandler(deps)(request, h.app.host.client, context());
  await expectDocumented("GET", "/api/jobs/{job}/runs", response);
  return response;
}

async function runsOf(job: string | undefined, params: Record<string, string> = {}): Promise<RunSummary[]> {
  const response = await list(job, params);
  expect(response.status, JSON.stringify(response.jsonBody)).toBe(200);
  return (response.jsonBody as { runs: RunSummary[] }).runs;
}

async function logs(job: string, runId: string, params: Record<string, string> = {}, deps = historyDeps()): Promise<HttpResponseInit & { text?: string }> {
  const request = new HttpRequest({ method: "GET", url: `http://localhost:7071/api/jobs/${job}/runs/${runId}/logs?${query(params)}`, params: { job, runId } });
  const response = await createGetRunLogsHandler(deps)(request, h.app.host.client, context());
  // Read (once) as the Functions worker sends it: the archived text streamed from storage.
  const body = await expectDocumented("GET", "/api/jobs/{job}/runs/{runId}/logs", response);
  return typeof body === "string" ? { ...response, text: body } : response;
}

async function cancel(job: string, runId: string): Promise<HttpResponseInit> {
  const request = new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs/${runId}/cancel`, params: { job, runId } });
  return createCancelRunHandler(runsDeps())(request, h.app.host.client, context());
}

/** The lines of an archived log without ACI's timestamps. */
function texts(log: string): string[] {
  return log.split("\n").slice(0, -1).map((line) => line.slice(line.indexOf(" ") + 1));
}

function lines(prefix: string, count: number, everyMs: number) {
  return Array.from({ length: count }, (_, i) => ({ at: i * everyMs, line: `${prefix} ${i + 1}` }));
}

describe("GET /api/jobs/{job}/runs and GET /api/runs", () => {
  const ids: Partial<Record<"first" | "failed" | "second" | "canceled" | "running" | "queued" | "terminated", string>> = {};

  it("lists runs in every state, newest first, each with its summary", async () => {
    h.app.emulator!.setBehaviour("test/nightly", { runMs: 30 * SECOND, logs: lines("nightly", 3, SECOND) });
    ids.first = await start("nightly");
    await finished(ids.first);
    h.app.emulator!.setBehaviour("test/nightly", { runMs: 20 * SECOND, exitCode: 3 });
    ids.failed = await start("nightly");
    await finished(ids.failed);
    h.app.emulator!.setBehaviour("test/nightly", { runMs: 10 * SECOND });
    ids.second = await start("nightly");
    await finished(ids.second);
    // A run canceled while it runs, then one still running behind a queued one (overlap bufferAll). Each is
    // held at its first look at the running group, so virtual time stands still until the test lets it go.
    h.app.emulator!.setBehaviour("test/lined", { runMs: 2 * HOUR });
    const heldCanceled = h.holdWhenRunning("lined");
    const canceledRun = await start("lined");
    const { release: letCanceledGo } = await heldCanceled;
    expect((await cancel("lined", canceledRun)).status).toBe(202);
    letCanceledGo();
    await finished(canceledRun);
    ids.canceled = canceledRun;
    const heldRunning = h.holdWhenRunning("lined");
    ids.running = await start("lined");
    const { runId: seenRunning, release: letRunningGo } = await heldRunning;
    expect(seenRunning).toBe(ids.running);
    ids.queued = await start("lined");
    // The second in line is terminated outside aci-jobs (Durable's terminate): no code of its own runs.
    ids.terminated = await start("lined");
    await h.app.host.client.terminate(ids.terminated, "stopped by an operator");
    await h.app.host.waitForCompletion(ids.terminated);

    const nightly = await runsOf("nightly");
    expect(nightly.map((run) => [run.runId, run.state])).toEqual([
      [ids.second, "succeeded"],
      [ids.failed, "failed"],
      [ids.first, "succeeded"],
    ]);
    expect(nightly[1]).toMatchObject({ job: "nightly", trigger: { kind: "http" }, attempts: 1, exitCode: 3, reason: "exitCode" });
    expect(nightly[1]!.detail).toMatch(/exit/u);
    for (const run of nightly) {
      expect(Date.parse(run.finishedAt!)).toBeGreaterThan(Date.parse(run.startedAt!));
      expect(Date.parse(run.startedAt!)).toBeGreaterThanOrEqual(Date.parse(run.createdAt));
    }
    const lined = await runsOf("lined");
    expect(lined.map((run) => [run.runId, run.state])).toEqual([
      [ids.terminated, "terminated"],
      [ids.queued, "queued"],
      [ids.running, "running"],
      [ids.canceled, "canceled"],
    ]);
    expect(lined[2]).toMatchObject({ attempts: 1 });
    expect(lined[1]).toMatchObject({ attempts: 0 });

    // Filters: by a final state, by active, by one of the active states, and by time.
    expect((await runsOf("nightly", { state: "failed" })).map((run) => run.runId)).toEqual([ids.failed]);
    expect((await runsOf("nightly", { state: "succeeded" })).map((run) => run.runId)).toEqual([ids.second, ids.first]);
    expect((await runsOf("lined", { state: "active" })).map((run) => run.runId)).toEqual([ids.queued, ids.running]);
    expect((await runsOf("lined", { state: "running" })).map((run) => run.runId)).toEqual([ids.running]);
    expect((await runsOf("lined", { state: "queued" })).map((run) => run.runId)).toEqual([ids.queued]);
    expect(await runsOf("lined", { state: "timedOut" })).toEqual([]);
    const failedAt = (await runsOf("nightly", { state: "failed" }))[0]!.createdAt;
    expect((await runsOf("nightly", { since: failedAt })).map((run) => run.runId)).toEqual([ids.second, ids.failed]);
    expect(await runsOf("nightly", { since: "2999-01-01T00:00:00Z" })).toEqual([]);

    // Across all jobs, the same way.
    const all = await runsOf(undefined);
    expect(all.map((run) => run.runId)).toEqual([ids.terminated, ids.queued, ids.running, ids.canceled, ids.second, ids.failed, ids.first]);
    expect((await runsOf(undefined, { state: "failed" })).map((run) => run.runId)).toEqual([ids.failed]);
    expect((await runsOf(undefined, { state: "active" })).map((run) => run.runId)).toEqual([ids.queued, ids.running]);

    // Listing it recorded its end, so the list by state finds it too.
    expect((await runsOf("lined", { state: "terminated" })).map((run) => run.runId)).toEqual([ids.terminated]);
    // Clean up: cancel the waiting run, then the running one, and let its watch go on to see the group gone.
    expect((await cancel("lined", ids.queued!)).status).toBe(202);
    await finished(ids.queued!);
    expect((await cancel("lined", ids.running!)).status).toBe(202);
    letRunningGo();
    await finished(ids.running!);
  });

  it("pages with a continuation token that belongs to its query", async () => {
    // The lined runs have all ended since: a terminated one is found in the active view and shown as terminated.
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const response = await list(undefined, { limit: "2", ...(token ? { continuationToken: token } : {}) });
      expect(response.status).toBe(200);
      const body = response.jsonBody as { runs: RunSummary[]; continuationToken: string | null };
      expect(body.runs.length).toBeLessThanOrEqual(2);
      seen.push(...body.runs.map((run) => run.runId));
      token = body.continuationToken;
      pages++;
    } while (token);
    expect(seen).toEqual((await runsOf(undefined)).map((run) => run.runId));
    expect(pages).toBeGreaterThanOrEqual(3);

    const first = (await list("nightly", { limit: "1" })).jsonBody as { continuationToken: string };
    const reused = await list("nightly", { limit: "1", state: "failed", continuationToken: first.continuationToken });
    expect(reused.status).toBe(400);
    expect(reused.jsonBody).toMatchObject({ errors: [{ parameter: "continuationToken" }] });
    const forged = await list("nightly", { continuationToken: "not-a-token" });
    expect(forged.jsonBody).toMatchObject({ status: 400, errors: [{ parameter: "continuationToken" }] });

  });

  it("answers a bad filter with 400 naming each parameter, and an unknown job with 404", async () => {
    const bad = await list("nightly", { state: "exploded", limit: "500", since: "yesterday" });
    expect(bad.status).toBe(400);
    expect(bad.headers).toMatchObject({ "content-type": "application/problem+json" });
    expect((bad.jsonBody as { errors: Array<{ parameter: string }> }).errors.map((e) => e.parameter)).toEqual(["state", "since", "limit"]);
    expect((await list("nightly", { limit: "0" })).status).toBe(400);
    expect((await list(undefined, { state: "nope" })).jsonBody).toMatchObject({ status: 400, errors: [{ parameter: "state" }] });
    expect((await list("nosuchjob")).status).toBe(404);
  });
});

describe("GET /api/jobs/{job}/runs/{runId}/logs", () => {
  it("returns each attempt's archived log as text, all of it or its tail", async () => {
    h.app.emulator!.setBehaviour("test/flaky", { runMs: 30 * SECOND, exitCode: 1, logs: lines("try", 5, SECOND) });
    const runId = await start("flaky");
    const result = await finished(runId);
    expect(result.attempts).toHaveLength(2);
    expect(result.attempts.map((a) => a.logArchive?.lines)).toEqual([5, 5]);

    const last = await logs("flaky", runId);
    expect(last.status).toBe(200);
    expect(last.headers).toMatchObject({ "content-type": "text/plain; charset=utf-8", "x-aci-jobs-archived-lines": "5" });
    // Each line as ACI recorded it: its time (RFC 3339), a space, what the container printed.
    expect(texts(last.text!)).toEqual(["try 1", "try 2", "try 3", "try 4", "try 5"]);
    expect(last.text!.split("\n")[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z try 1$/u);
    const first = await logs("flaky", runId, { attempt: "1" });
    expect(texts(first.text!)).toEqual(texts(last.text!));
    expect(first.text).not.toBe(last.text);
    expect(texts((await logs("flaky", runId, { tail: "2" })).text!)).toEqual(["try 4", "try 5"]);
    expect((await logs("flaky", runId, { tail: "100" })).text).toBe(last.text);
  });

  it("reads the tail of a long log from its end", async () => {
    h.app.emulator!.setBehaviour("test/nightly", { runMs: 10 * MINUTE, logs: lines(`${"w".repeat(200)} line`, 3_000, 100) });
    const runId = await start("nightly");
    const result = await finished(runId);
    expect(result.attempts[0]!.logArchive).toMatchObject({ lines: 3_000, unarchived: 0 });
    const tail = await logs("nightly", runId, { tail: "3" });
    expect(tail.text!.split("\n").slice(0, -1).map((line) => line.split(" ").at(-1))).toEqual(["2998", "2999", "3000"]);
    const all = await logs("nightly", runId);
    expect(all.text!.split("\n")).toHaveLength(3_001);
    // Across several 256 KiB reads from the end (the lines are about 240 bytes): exactly the last 2,500.
    const long = await logs("nightly", runId, { tail: "2500" });
    expect(long.text).toBe(all.text!.split("\n").slice(500).join("\n"));
  });

  it("answers 404 for an attempt that does not exist or has no archive, and 400 for bad parameters", async () => {
    h.app.emulator!.setBehaviour("test/nightly", { runMs: 10 * SECOND });
    const runId = await start("nightly");
    await finished(runId);
    const none = await logs("nightly", runId, { attempt: "2" });
    expect(none.status).toBe(404);
    expect((none.jsonBody as { detail: string }).detail).toMatch(/has 1 attempt\(s\); there is no attempt 2/u);
    // The container printed nothing: there is no archive to read.
    const empty = await logs("nightly", runId);
    expect(empty.status).toBe(404);
    expect((empty.jsonBody as { detail: string }).detail).toMatch(/no archived log/u);
    const bad = await logs("nightly", runId, { attempt: "first", tail: "-1" });
    expect(bad.status).toBe(400);
    expect((bad.jsonBody as { errors: Array<{ parameter: string }> }).errors.map((e) => e.parameter)).toEqual(["attempt", "tail"]);
    expect((await logs("nightly", "nightly-20261128T000000Z-00000000")).status).toBe(404);
  });
});

describe("the history routes, as the OpenAPI document describes them", () => {
  it("answer 503 without storage", async () => {
    const none = { jobs: h.app.jobs, index: undefined, archive: undefined };
    expect((await list("nightly", {}, none)).status).toBe(503);
    expect((await list(undefined, {}, none)).status).toBe(503);
    expect((await logs("nightly", "nightly-20261128T000000Z-00000000", {}, none)).status).toBe(503);
  });

  it("have answered with every status the document lists for them (but the host's 401 and 500)", () => {
    const routes = ["/api/runs", "/api/jobs/{job}/runs", "/api/jobs/{job}/runs/{runId}/logs"];
    const missing = routes.flatMap((route) =>
      Object.keys(OPEN_API_DOCUMENT.paths[route]!.get!.responses)
        .filter((status) => status !== "401" && status !== "500" && !seenResponses.has(`GET ${route} ${status}`))
        .map((status) => `GET ${route} ${status}`),
    );
    expect(missing).toEqual([]);
  });
});

describe("the run index", () => {
  it("keeps a run's outcome when its start is listed only after it ended (a slow start write)", async () => {
    const index = h.app.services.index!;
    const started = {
      runId: "nightly-20261201T000000Z-0000abcd",
      job: "nightly",
      state: "running" as const,
      trigger: { kind: "http" as const },
      createdAt: "2026-12-01T00:00:00.000Z",
      attempts: 0,
    };
    await index.recordFinished({ ...started, state: "succeeded", startedAt: started.createdAt, finishedAt: "2026-12-01T00:01:00.000Z", attempts: 1, exitCode: 0 });
    await index.recordStarted(started);
    const listed = (await index.list({ job: "nightly", limit: 100 })).runs.find((run) => run.runId === started.runId);
    expect(listed).toMatchObject({ state: "succeeded", attempts: 1 });
    expect((await index.list({ job: "nightly", state: "active", limit: 100 })).runs.map((run) => run.runId)).not.toContain(started.runId);
    await index.remove({ ...started, state: "succeeded" });
  });
});
