/**
 * Backfill (issue 11, item 9): one run per past slot in a range, oldest first or newest first, each for
 * its slot; it never skips: runs that find the job's slot taken wait in line.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createBackfillHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import type { RunInput, RunResult } from "../../src/runs/contracts";
import { useHarness } from "./harness";

const jobs = [
  { id: "daily_load", schedule: "0 2 * * *", container: { image: "busybox", command: ["sh", "-c", "echo loading {{ ds }}; sleep 600"] } },
  { id: "no_schedule", container: { image: "hello-world" } },
];

const h = useHarness(jobs, { storage: true });

const NOW = new Date("2026-11-28T09:30:00Z");
function deps(): RunsApiDeps {
  return { jobs: h.app.jobs, defaultRegion: "eastus", slots: h.app.services.slots, queue: h.app.services.queue, now: () => NOW };
}

function backfill(job: string, body: unknown): Promise<HttpResponseInit> {
  return createBackfillHandler(deps())(
    new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/backfill`, params: { job }, body: { string: JSON.stringify(body) } }),
    h.app.host.client,
    new InvocationContext({ functionName: "t", invocationId: "i", logHandler: () => undefined }),
  );
}

interface Answer {
  runs: { slot: string; runId: string; state: string }[];
}

describe("POST /api/jobs/{job}/backfill", () => {
  it("runs one run per slot in the range, oldest first, one at a time, each for its own day", async () => {
    const response = await backfill("daily_load", { from: "2026-11-23T00:00:00Z", to: "2026-11-26T02:00:00Z" });
    expect(response.status).toBe(202);
    const { runs } = response.jsonBody as Answer;
    expect(runs.map((r) => [r.slot, r.state])).toEqual([
      ["2026-11-23T02:00:00.000Z", "started"],
      ["2026-11-24T02:00:00.000Z", "queued"],
      ["2026-11-25T02:00:00.000Z", "queued"],
      ["2026-11-26T02:00:00.000Z", "queued"],
    ]);
    const results: RunResult[] = [];
    for (const run of runs) {
      const status = await h.app.host.waitForCompletion(run.runId);
      results.push(status.output as RunResult);
      expect(status.input as RunInput).toMatchObject({ trigger: { kind: "backfill", slot: run.slot }, times: { slot: run.slot.replace(".000Z", "Z") } });
      expect(h.containerLines(run.runId)).toEqual([`loading ${run.slot.slice(0, 10)}`]);
    }
    expect(results.every((r) => r.status === "succeeded")).toBe(true);
    // In the order asked, never side by side (the job allows one active run).
    for (let i = 1; i < results.length; i++) expect(Date.parse(results[i]!.attempts[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(results[i - 1]!.finishedAt));
  });

  it("newest first, when asked", async () => {
    const response = await backfill("daily_load", { from: "2026-11-20T02:00:00Z", to: "2026-11-21T02:00:00Z", order: "newestFirst" });
    const { runs } = response.jsonBody as Answer;
    expect(runs.map((r) => r.slot)).toEqual(["2026-11-21T02:00:00.000Z", "2026-11-20T02:00:00.000Z"]);
    const [newer, older] = await Promise.all(runs.map(async (r) => (await h.app.host.waitForCompletion(r.runId)).output as RunResult));
    expect(Date.parse(older!.attempts[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(newer!.finishedAt));
  });

  it("refuses what it cannot do, naming the field: too many slots, the future, no slot, a reversed range, no schedule", async () => {
    const refused = async (job: string, body: unknown) => {
      const response = await backfill(job, body);
      return { status: response.status, body: response.jsonBody as { detail: string; errors?: { field: string }[] } };
    };
    expect(await refused("daily_load", { from: "2026-01-01T00:00:00Z", to: "2026-11-01T00:00:00Z" })).toMatchObject({ status: 400, body: { errors: [{ field: "to" }] } });
    expect((await refused("daily_load", { from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z" })).body.detail).toMatch(/is in the future/u);
    expect((await refused("daily_load", { from: "2026-11-20T03:00:00Z", to: "2026-11-20T04:00:00Z" })).body.detail).toMatch(/holds no slot/u);
    expect((await refused("daily_load", { from: "2026-11-22T00:00:00Z", to: "2026-11-20T00:00:00Z" })).body.detail).toMatch(/from is after to/u);
    expect((await refused("daily_load", { from: "yesterday", to: "2026-11-20T00:00:00Z" })).body.errors).toEqual([expect.objectContaining({ field: "from" })]);
    expect((await refused("daily_load", { to: "2026-11-20T00:00:00Z" })).status).toBe(400);
    expect((await refused("daily_load", { from: "2026-11-20T00:00:00Z", to: "2026-11-21T00:00:00Z", order: "random" })).status).toBe(400);
    expect(await refused("no_schedule", { from: "2026-11-20T00:00:00Z", to: "2026-11-21T00:00:00Z" })).toMatchObject({ status: 409 });
    expect(h.app.emulator!.requests).toEqual([]);
  });
});
