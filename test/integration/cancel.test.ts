/**
 * Cancelling a run (issue 11, item 1) through the HTTP route, in every phase a cancel can reach: creating
 * (the PUT in flight), watching, reading the log, deleting, waiting to retry. Each ends with the group
 * deleted, no retry, the watch ended, the slot released and the run `canceled` with who asked and why.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createCancelRunHandler, createGetRunHandler, createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import { RunEvents, watchInstanceId, type RunResult } from "../../src/runs/contracts";
import type { RunView } from "../../src/runs/runView";
import { useHarness } from "./harness";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const jobs = [
  { id: "long", maxActiveRuns: 1, retries: 2, retryDelay: "5m", container: { image: "test/long" } },
  { id: "flaky", maxActiveRuns: 1, retries: 3, retryDelay: "10m", container: { image: "test/fails" } },
  { id: "quick", maxActiveRuns: 1, container: { image: "test/quick" } },
];

const h = useHarness(jobs, { storage: true });

function deps(): RunsApiDeps {
  return { jobs: h.app.jobs, defaultRegion: h.app.config.defaultRegion, slots: h.app.services.slots, now: () => new Date(h.app.clock.now()) };
}

function context(): InvocationContext {
  return new InvocationContext({ functionName: "test", invocationId: "inv-1", logHandler: () => undefined });
}

/** Who App Service Authentication says is signed in: the headers its module sets on each request. */
const signedIn = (name: string) => ({
  "x-ms-client-principal": Buffer.from(JSON.stringify({ auth_typ: "aad", claims: [] })).toString("base64"),
  "x-ms-client-principal-id": "00000000-0000-0000-0000-0000000000aa",
  "x-ms-client-principal-name": name,
  "x-ms-client-principal-idp": "aad",
});

async function start(job: string): Promise<string> {
  const request = new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs`, params: { job } });
  const response = await createStartRunHandler(deps())(request, h.app.host.client, context());
  expect(response.status).toBe(202);
  return (response.jsonBody as { runId: string }).runId;
}

function cancel(job: string, runId: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<HttpResponseInit> {
  const request = new HttpRequest({
    method: "POST",
    url: `http://localhost:7071/api/jobs/${job}/runs/${runId}/cancel`,
    params: { job, runId },
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body === undefined ? {} : { body: { string: options.body } }),
  });
  return createCancelRunHandler(deps())(request, h.app.host.client, context());
}

async function view(job: string, runId: string): Promise<RunView> {
  const request = new HttpRequest({ method: "GET", url: `http://localhost:7071/api/jobs/${job}/runs/${runId}`, params: { job, runId } });
  return (await createGetRunHandler(deps())(request, h.app.host.client, context())).jsonBody as RunView;
}

async function finished(runId: string): Promise<RunResult> {
  const status = await h.app.host.waitForCompletion(runId);
  expect(String(status.runtimeStatus)).toBe("Completed");
  return status.output as RunResult;
}

/** Runs `act` once a log line matches, inside the code that wrote it (before the host moves on). */
function when<T>(pattern: RegExp, act: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const stop = h.onLog((record) => {
      if (!pattern.test(record.message)) return;
      stop();
      act().then(resolve, reject);
    });
  });
}

const deletes = () => h.app.emulator!.requests.filter((r) => r.method === "DELETE" && r.status !== 0 && r.status < 300);

describe("POST /api/jobs/{job}/runs/{runId}/cancel", () => {
  it("stops a watched run within seconds: group deleted, watch ended, no retry, slot released, who and why kept", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: 2 * HOUR, logs: [{ at: 1_000, line: "working" }] });
    const runId = await start("long");
    let canceledAt = 0;
    const answer = h.whenRunning("long", () => {
      canceledAt = h.app.clock.now();
      return cancel("long", runId, { body: JSON.stringify({ reason: "hung on the upstream API" }), headers: signedIn("ops@example.com") });
    });
    const canceling = await answer;
    expect(canceling.status).toBe(202);
    expect(canceling.jsonBody).toMatchObject({ runId, job: "long", state: "canceling" });
    expect((canceling.headers as Record<string, string>).location).toBe(`http://localhost:7071/api/jobs/long/runs/${runId}`);

    const result = await finished(runId);
    expect(result.status).toBe("canceled");
    expect(result.cancellation).toMatchObject({ by: "ops@example.com", reason: "hung on the upstream API", phase: "watching" });
    expect(result.detail).toMatch(/^Canceled by ops@example\.com at .* while the container ran \(reason: hung on the upstream API\)\./u);
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ outcome: "canceled", retryable: false, cleanup: "deleted", logLines: 1 });
    expect(h.containerLines(runId)).toEqual(["working"]);

    const [deleted] = deletes();
    expect(deleted!.at - canceledAt).toBeLessThanOrEqual(15_000);
    // The watch got the cancel too and ended, rather than waiting for its next look.
    const watch = await h.app.host.client.getStatus(watchInstanceId(runId, 1));
    expect(String(watch.runtimeStatus)).toBe("Completed");
    expect(watch.output).toMatchObject({ kind: "canceled" });
    expect(Date.parse(result.finishedAt) - canceledAt).toBeLessThan(MINUTE);

    expect(await view("long", runId)).toMatchObject({ state: "canceled", result: { status: "canceled" } });
    // The slot is free: the next run starts (and is cancelled in turn).
    const next = await start("long");
    await h.whenRunning("long", () => cancel("long", next));
    expect((await finished(next)).status).toBe("canceled");
  });

  it("deletes the group even when only the run hears the cancel, and the watch ends at its next look", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: 2 * HOUR });
    const runId = await start("long");
    let canceledAt = 0;
    // As if the cancel reached the run just before it started the watch: the watch never hears of it.
    await h.whenRunning("long", () => {
      canceledAt = h.app.clock.now();
      return h.app.host.client.raiseEvent(runId, RunEvents.cancel, { requestedAt: new Date(canceledAt).toISOString() });
    });
    const result = await finished(runId);
    expect(result).toMatchObject({ status: "canceled", cancellation: { phase: "watching" } });
    expect(result.attempts[0]).toMatchObject({ outcome: "canceled", cleanup: "deleted" });
    expect(deletes()[0]!.at - canceledAt).toBeLessThanOrEqual(15_000);
    const watch = await h.app.host.client.getStatus(watchInstanceId(runId, 1));
    expect(String(watch.runtimeStatus)).toBe("Completed");
    expect(watch.output).toMatchObject({ kind: "gone" });
  });

  it("waits for a create in flight and deletes what it made: no group is left", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: 2 * HOUR });
    let release!: () => void;
    h.app.emulator!.injectFault({ method: "PUT", fault: { kind: "held", until: new Promise<void>((resolve) => (release = resolve)) } });
    const started = start("long");
    const answer = when(/attempt 1: creating$/u, async () => {
      const runId = await started;
      const response = await cancel("long", runId);
      release();
      return { runId, response };
    });
    const { runId, response } = await answer;
    expect(response.status).toBe(202);
    const result = await finished(runId);
    expect(result).toMatchObject({ status: "canceled", cancellation: { phase: "creating" } });
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ outcome: "canceled", cleanup: "deleted" });
    const calls = h.app.emulator!.requests.map((r) => r.method);
    expect(calls.indexOf("PUT")).toBeLessThan(calls.indexOf("DELETE"));
    expect(h.app.emulator!.requests.filter((r) => r.method === "GET" && /\/logs/u.test(r.path))).toEqual([]);
  });

  it("starts no retry when the cancel comes while the run waits to retry", async () => {
    h.app.emulator!.setBehaviour("test/fails", { runMs: 5_000, exitCode: 3 });
    const runId = await start("flaky");
    const answer = when(/attempt 1: waitingToRetry until /u, () => cancel("flaky", runId, { body: JSON.stringify({ reason: "known outage" }) }));
    expect((await answer).status).toBe(202);
    const result = await finished(runId);
    expect(result).toMatchObject({ status: "canceled", exitCode: 3, cancellation: { phase: "waitingToRetry", reason: "known outage" } });
    expect(result.cancellation).not.toHaveProperty("by");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "exitCode", cleanup: "deleted" });
    expect(result.detail).toMatch(/while waiting to retry \(reason: known outage\)\. Attempt 1: The container exited with code 3\./u);
    // It ended at once, not after the 10-minute wait.
    expect(Date.parse(result.finishedAt) - Date.parse(result.attempts[0]!.finishedAt)).toBeLessThan(MINUTE);
  });

  it("ends canceled when the cancel comes while the log is read, keeping the attempt's real outcome", async () => {
    h.app.emulator!.setBehaviour("test/quick", { runMs: 20_000, logs: [{ at: 1_000, line: "done" }] });
    const runId = await start("quick");
    let release!: () => void;
    const answer = when(/attempt 1: collectingLogs$/u, async () => {
      h.app.emulator!.injectFault({ method: "GET", path: "/logs", fault: { kind: "held", until: new Promise<void>((resolve) => (release = resolve)) } });
      const response = await cancel("quick", runId);
      release();
      return response;
    });
    expect((await answer).status).toBe(202);
    const result = await finished(runId);
    expect(result).toMatchObject({ status: "canceled", exitCode: 0, cancellation: { phase: "collectingLogs" } });
    expect(result.attempts[0]).toMatchObject({ outcome: "succeeded", exitCode: 0, cleanup: "deleted", logLines: 1 });
  });

  it("ends canceled when the cancel comes while the group is deleted, and survives a failing delete", async () => {
    h.app.emulator!.setBehaviour("test/quick", { runMs: 20_000 });
    const runId = await start("quick");
    let release!: () => void;
    const answer = when(/attempt 1: deleting$/u, async () => {
      h.app.emulator!.injectFault({ method: "DELETE", fault: { kind: "held", until: new Promise<void>((resolve) => (release = resolve)) } });
      h.app.emulator!.injectFault({ method: "DELETE", times: 2, fault: { status: 500 } });
      const response = await cancel("quick", runId);
      release();
      return response;
    });
    expect((await answer).status).toBe(202);
    const result = await finished(runId);
    expect(result).toMatchObject({ status: "canceled", cancellation: { phase: "deleting" } });
    expect(result.attempts[0]).toMatchObject({ outcome: "succeeded", cleanup: "deleted" });
  });

  it("keeps the group's delete going when ARM fails transiently after a cancel while watching", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: 2 * HOUR });
    const runId = await start("long");
    await h.whenRunning("long", async () => {
      h.app.emulator!.injectFault({ method: "DELETE", times: 3, fault: { status: 503, retryAfterSeconds: 1 } });
      return cancel("long", runId);
    });
    const result = await finished(runId);
    expect(result).toMatchObject({ status: "canceled" });
    expect(result.attempts[0]).toMatchObject({ outcome: "canceled", cleanup: "deleted" });
  });

  it("answers a second cancel harmlessly, 409 once the run has ended, and 404 for unknown runs", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: 2 * HOUR });
    const runId = await start("long");
    const answers = await h.whenRunning("long", () => Promise.all([cancel("long", runId, { body: '{"reason":"first"}' }), cancel("long", runId, { body: '{"reason":"second"}' })]));
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    const result = await finished(runId);
    expect(result.status).toBe("canceled");
    expect(deletes()).toHaveLength(1);

    const late = await cancel("long", runId);
    expect(late.status).toBe(409);
    expect((late.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
    expect(late.jsonBody).toMatchObject({ status: 409, state: "canceled", detail: `Run ${runId} has already finished (canceled); there is nothing to cancel.` });

    expect((await cancel("long", "long-20261128T093012Z-1a2b3c4d")).status).toBe(404);
    // An incomplete set of App Service Authentication headers names nobody, and is no reason to fail.
    const partial = { "x-ms-client-principal": signedIn("x")["x-ms-client-principal"] };
    expect((await cancel("long", "long-20261128T093012Z-1a2b3c4d", { headers: partial })).status).toBe(404);
    expect((await cancel("long", "../../etc")).status).toBe(404);
    expect((await cancel("nope", runId)).status).toBe(404);
  });

  it("refuses a malformed body with 400 naming the field, and starts nothing", async () => {
    for (const [body, field] of [
      ['{"reason": 5}', "reason"],
      ['{"reason": ""}', "reason"],
      ['{"why": "x"}', "(body)"],
      ["[1]", "(body)"],
    ] as const) {
      const response = await cancel("long", "long-20261128T093012Z-1a2b3c4d", { body });
      expect(response.status, body).toBe(400);
      expect((response.jsonBody as { errors: { field: string }[] }).errors[0]!.field).toBe(field);
    }
    expect((await cancel("long", "long-20261128T093012Z-1a2b3c4d", { body: "{" })).status).toBe(400);
    expect((await cancel("long", "long-20261128T093012Z-1a2b3c4d", { body: JSON.stringify({ reason: "x".repeat(501) }) })).status).toBe(400);
  });

  it("keeps the run's own outcome and record when it ends just as the cancel reaches it", async () => {
    h.app.emulator!.setBehaviour("test/quick", { runMs: 5_000 });
    const runId = await start("quick");
    // The run's closing line is written in its last episode, before that episode is committed: the cancel
    // is accepted (202, "might or might not be acted upon") and dropped with the ended instance.
    const answer = when(new RegExp(`^run ${runId} of quick succeeded`, "u"), () => cancel("quick", runId));
    const result = await finished(runId);
    expect([202, 409]).toContain((await answer).status);
    expect(result).toMatchObject({ status: "succeeded", attempts: [{ outcome: "succeeded", cleanup: "deleted" }] });
    expect(result).not.toHaveProperty("cancellation");
    expect(await view("quick", runId)).toMatchObject({ state: "succeeded" });
    const late = await cancel("quick", runId);
    expect(late.status).toBe(409);
    expect(late.jsonBody).toMatchObject({ state: "succeeded" });
  });

  it("shows a run that is stopping as canceling", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: 2 * HOUR });
    const runId = await start("long");
    let release!: () => void;
    const seen = await h.whenRunning("long", async () => {
      h.app.emulator!.injectFault({ method: "DELETE", fault: { kind: "held", until: new Promise<void>((resolve) => (release = resolve)) } });
      await cancel("long", runId);
      return new Promise<RunView>((resolve) => {
        const stop = h.onLog((record) => {
          if (!/attempt 1: deleting \(canceled\)$/u.test(record.message)) return;
          stop();
          // The status is written when the episode ends; the delete is held, so the run stays here until
          // then: read until it shows (a few tries at most).
          const read = (tries: number): void =>
            void view("long", runId).then((seenView) => (seenView.state === "canceling" || tries === 0 ? resolve(seenView) : setTimeout(() => read(tries - 1), 50)));
          read(40);
        });
      });
    });
    expect(seen).toMatchObject({ state: "canceling", progress: { phase: "deleting", cancelRequested: { requestedAt: expect.any(String) } } });
    release();
    expect((await finished(runId)).status).toBe("canceled");
  });
});
