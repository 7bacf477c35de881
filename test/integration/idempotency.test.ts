/**
 * Idempotency-Key on POST /api/jobs/{job}/runs (issue 11, item 3): one key names one run of a job for 24
 * hours, kept in storage (Azurite here), so a retried or duplicated request, even simultaneous ones,
 * never starts a second run.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import { useHarness } from "./harness";

const jobs = [
  { id: "report", maxActiveRuns: 5, overrides: { environment: ["DAY"] }, container: { image: "hello-world" } },
  { id: "single", maxActiveRuns: 1, container: { image: "test/slow" } },
];

const h = useHarness(jobs, { storage: true });

function deps(now = new Date("2026-11-28T09:30:00Z")): RunsApiDeps {
  return { jobs: h.app.jobs, defaultRegion: "eastus", slots: h.app.services.slots, idempotency: h.app.services.idempotency, now: () => now };
}

const context = () => new InvocationContext({ functionName: "test", invocationId: "inv", logHandler: () => undefined });

function post(job: string, key: string | undefined, body?: string, now?: Date): Promise<HttpResponseInit> {
  const request = new HttpRequest({
    method: "POST",
    url: `http://localhost:7071/api/jobs/${job}/runs`,
    params: { job },
    ...(key === undefined ? {} : { headers: { "idempotency-key": key } }),
    ...(body === undefined ? {} : { body: { string: body } }),
  });
  return createStartRunHandler(deps(now))(request, h.app.host.client, context());
}

const runIdOf = (response: HttpResponseInit) => (response.jsonBody as { runId: string }).runId;
const creates = () => h.app.emulator!.requests.filter((r) => r.method === "PUT").length;

describe("Idempotency-Key", () => {
  it("answers a repeat with the run the first request started: same runId, 200 instead of 202, no second run", async () => {
    const key = randomUUID();
    const first = await post("report", key, '{"environment": {"DAY": "2026-11-27"}}');
    expect(first.status).toBe(202);
    const runId = runIdOf(first);
    await h.app.host.waitForCompletion(runId);
    // The same request, spaced and ordered differently.
    const again = await post("report", key, '{ "environment": { "DAY": "2026-11-27" } }');
    expect(again.status).toBe(200);
    expect(runIdOf(again)).toBe(runId);
    expect((again.headers as Record<string, string>).location).toBe(`http://localhost:7071/api/jobs/report/runs/${runId}`);
    expect(creates()).toBe(1);
  });

  it("starts exactly one run for simultaneous requests with one key", async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 6 }, () => post("report", key)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 202]);
    expect(new Set(answers.map(runIdOf)).size).toBe(1);
    await h.app.host.waitForCompletion(runIdOf(answers[0]!));
    expect(creates()).toBe(1);
  });

  it("refuses the key with another body with 422, and takes it for a new run after 24 hours", async () => {
    const key = randomUUID();
    const first = await post("report", key, '{"environment": {"DAY": "2026-11-27"}}');
    await h.app.host.waitForCompletion(runIdOf(first));
    const other = await post("report", key, '{"environment": {"DAY": "2026-11-28"}}');
    expect(other.status).toBe(422);
    expect((other.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
    expect(other.jsonBody).toMatchObject({ title: "Unprocessable Content", status: 422 });

    const nextDay = await post("report", key, '{"environment": {"DAY": "2026-11-28"}}', new Date("2026-11-29T09:30:00Z"));
    expect(nextDay.status).toBe(202);
    expect(runIdOf(nextDay)).not.toBe(runIdOf(first));
    await h.app.host.waitForCompletion(runIdOf(nextDay));
  });

  it("keeps keys per job, and gives a key back when no run started (409), so a retry can start one", async () => {
    h.app.emulator!.setBehaviour("test/slow", { runMs: 60_000 });
    const busy = await post("single", undefined);
    const key = randomUUID();
    expect((await post("single", key)).status).toBe(409);
    await h.app.host.waitForCompletion(runIdOf(busy));
    const retried = await post("single", key);
    expect(retried.status).toBe(202);
    // The same key on another job is another key.
    expect((await post("report", key)).status).toBe(202);
    await h.app.host.waitForCompletion(runIdOf(retried));
    await h.app.host.drain();
  });

  it("refuses a key that is not 1 to 255 printable ASCII characters, starting nothing", async () => {
    for (const key of ["", "  ", "x".repeat(256), "clé"]) {
      const response = await post("report", key);
      expect(response.status, JSON.stringify(key)).toBe(400);
      expect(response.jsonBody).toMatchObject({ errors: [{ field: "Idempotency-Key" }] });
    }
    // A structured-field string is read without its quotes.
    const quoted = await post("report", '"8e03978e-40d5-43e8-bc93-6894a57f9324"');
    expect(quoted.status).toBe(202);
    expect((await post("report", "8e03978e-40d5-43e8-bc93-6894a57f9324")).status).toBe(200);
    await h.app.host.waitForCompletion(runIdOf(quoted));
  });
});
