/**
 * Overlap policies (issue 11, item 5), for timer and HTTP starts alike, under simultaneous starts: skip,
 * bufferOne, bufferAll, cancelOther and allowAll. Runs that wait are real orchestrations in line for a
 * slot (storage on Azurite); a run that ends hands its slot to the first in line.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit, type Timer } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createCancelRunHandler, createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import { createOrphanSweepHandler } from "../../src/functions/orphanSweeper";
import { createScheduledRunHandler } from "../../src/functions/scheduledRuns";
import { deploymentName } from "../../src/config";
import type { JobSpec } from "../../src/jobs/definition";
import type { RunResult } from "../../src/runs/contracts";
import { useHarness } from "./harness";

const MINUTE = 60_000;
const container = { image: "test/twenty-minutes" };
const jobs = [
  { id: "o_skip", schedule: "@hourly", overlap: "skip", container },
  { id: "o_one", schedule: "@hourly", overlap: "bufferOne", container },
  { id: "o_all", overlap: "bufferAll", container },
  { id: "o_cancel", overlap: "cancelOther", container },
  { id: "o_allow", overlap: "allowAll", maxActiveRuns: 2, container },
];

const h = useHarness(jobs, { storage: true });

function deps(): RunsApiDeps {
  return { jobs: h.app.jobs, defaultRegion: "eastus", slots: h.app.services.slots, queue: h.app.services.queue, now: () => new Date(h.app.clock.now()) };
}

const context = (lines: string[] = []) => new InvocationContext({ functionName: "t", invocationId: "i", logHandler: (_l, ...args) => lines.push(args.map(String).join(" ")) });
const timer = (): Timer => ({ isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: "", next: "", lastUpdated: "" } });

function post(job: string): Promise<HttpResponseInit> {
  return createStartRunHandler(deps())(new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs`, params: { job } }), h.app.host.client, context());
}

function fire(job: string, at: string, lines: string[]): Promise<void> {
  const scheduled = h.app.jobs.get(job) as JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };
  const timerDeps = { ...deps(), jobState: h.app.services.jobState, now: () => new Date(at) };
  return createScheduledRunHandler(scheduled, timerDeps)(timer(), h.app.host.client, context(lines));
}

const runIdOf = (response: HttpResponseInit) => (response.jsonBody as { runId: string }).runId;

async function result(runId: string): Promise<RunResult> {
  const status = await h.app.host.waitForCompletion(runId);
  expect(String(status.runtimeStatus), JSON.stringify(status.output)).toBe("Completed");
  return status.output as RunResult;
}

/** When each run's first attempt began and its last ended (virtual time). */
const span = (run: RunResult) => ({ from: Date.parse(run.attempts[0]!.startedAt), to: Date.parse(run.attempts.at(-1)!.finishedAt) });

describe("overlap", () => {
  it("skip: of simultaneous timer and HTTP starts exactly one runs; the others are refused (409) or recorded as skipped", async () => {
    h.app.emulator!.setBehaviour("test/twenty-minutes", { runMs: 20 * MINUTE });
    const lines: string[] = [];
    const [a, b] = await Promise.all([post("o_skip"), post("o_skip"), fire("o_skip", "2026-11-28T10:00:00.010Z", lines)]);
    const started = [a!, b!].filter((r) => r.status === 202).length + (lines.some((l) => l.startsWith("started scheduled run")) ? 1 : 0);
    expect(started).toBe(1);
    expect([a!, b!].filter((r) => r.status === 409).length + (lines.some((l) => l.startsWith("skipping schedule slot")) ? 1 : 0)).toBe(2);
    await h.app.host.drain();
  });

  it("bufferOne: one start waits and runs when the active run ends; a further start is refused", async () => {
    h.app.emulator!.setBehaviour("test/twenty-minutes", { runMs: 20 * MINUTE });
    const first = await post("o_one");
    expect(first.status).toBe(202);
    const lines: string[] = [];
    const [second, third] = await Promise.all([post("o_one"), post("o_one"), fire("o_one", "2026-11-28T11:00:00.010Z", lines)]);
    const queued = [second!, third!].filter((r) => r.status === 202);
    const refusals = [second!, third!].filter((r) => r.status === 409);
    const timerQueued = lines.some((l) => l.startsWith("queued scheduled run"));
    // Of the three simultaneous starts, exactly one waits.
    expect(queued.length + (timerQueued ? 1 : 0)).toBe(1);
    expect(refusals.length + (lines.some((l) => l.startsWith("skipping schedule slot")) ? 1 : 0)).toBe(2);
    for (const refusal of refusals) expect(refusal.jsonBody).toMatchObject({ status: 409, waitingRun: expect.any(String) });
    const waitingId = queued[0] ? runIdOf(queued[0]) : "o_one-scheduled-20261128T110000Z";
    if (queued[0]) expect(queued[0].jsonBody).toMatchObject({ state: "queued" });
    const [done, waited] = await Promise.all([result(runIdOf(first)), result(waitingId)]);
    expect(waited.status).toBe("succeeded");
    expect(span(waited).from).toBeGreaterThanOrEqual(span(done).to);
  });

  it("bufferAll: every start waits in line and they run one after another", async () => {
    h.app.emulator!.setBehaviour("test/twenty-minutes", { runMs: 20 * MINUTE });
    const first = await post("o_all");
    const waiting = await Promise.all([post("o_all"), post("o_all"), post("o_all")]);
    expect(waiting.map((r) => [r.status, (r.jsonBody as { state?: string }).state])).toEqual([
      [202, "queued"],
      [202, "queued"],
      [202, "queued"],
    ]);
    const runs = await Promise.all([first, ...waiting].map((r) => result(runIdOf(r))));
    expect(runs.every((r) => r.status === "succeeded")).toBe(true);
    const spans = runs.map(span).sort((x, y) => x.from - y.from);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.from).toBeGreaterThanOrEqual(spans[i - 1]!.to);
  });

  it("cancelOther: the active run is canceled (its group deleted) and the new one starts when it has stopped", async () => {
    h.app.emulator!.setBehaviour("test/twenty-minutes", { runMs: 20 * MINUTE });
    const old = runIdOf(await post("o_cancel"));
    const replacing = await h.whenRunning("o_cancel", () => post("o_cancel"));
    expect(replacing.status).toBe(202);
    expect(replacing.jsonBody).toMatchObject({ state: "queued", canceledRuns: [old] });
    const [oldResult, newResult] = await Promise.all([result(old), result(runIdOf(replacing))]);
    expect(oldResult).toMatchObject({ status: "canceled", cancellation: { by: "overlap cancelOther", reason: `replaced by run ${runIdOf(replacing)}`, phase: "watching" } });
    expect(oldResult.attempts[0]).toMatchObject({ cleanup: "deleted" });
    expect(newResult.status).toBe("succeeded");
    expect(span(newResult).from).toBeGreaterThanOrEqual(span(oldResult).to);
  });

  it("allowAll: up to maxActiveRuns side by side, and no more", async () => {
    h.app.emulator!.setBehaviour("test/twenty-minutes", { runMs: 20 * MINUTE });
    const answers = await Promise.all([post("o_allow"), post("o_allow"), post("o_allow")]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 409]);
    const runs = await Promise.all(answers.filter((a) => a.status === 202).map((a) => result(runIdOf(a))));
    // The two ran side by side: each began before the other ended. (When each began depends on how far
    // virtual time moved between the two starts, so only the overlap is asserted.)
    const [a, b] = runs.map(span);
    expect(a!.from).toBeLessThan(b!.to);
    expect(b!.from).toBeLessThan(a!.to);
  });

  it("a line behind a slot whose run was terminated from outside moves on at the next sweep", async () => {
    h.app.emulator!.setBehaviour("test/twenty-minutes", { runMs: 20 * MINUTE });
    const running = h.whenRunning("o_all", (_group, runId) => runId);
    const first = runIdOf(await post("o_all"));
    const second = await post("o_all");
    expect(second.jsonBody).toMatchObject({ state: "queued" });
    await running;
    // Terminated in the portal, say: the run neither deletes its group nor gives its slot back.
    await h.app.host.client.terminate(first, "terminated from outside");
    const lines: string[] = [];
    const sweep = createOrphanSweepHandler({
      aci: h.app.services.aci,
      app: deploymentName(h.app.config.runStateStorage!)!,
      now: () => h.app.clock.now() + 30 * MINUTE,
      lines: { jobIds: ["o_all"], slots: h.app.services.slots!, queue: h.app.services.queue! },
    });
    await sweep(timer(), h.app.host.client, context(lines));
    expect(lines).toContain(`orphan sweep: the slot ${first} of o_all never gave back went to ${runIdOf(second)}`);
    expect((await result(runIdOf(second))).status).toBe("succeeded");
  });

  it("a waiting run can be canceled: it leaves the line, and the one behind it still runs", async () => {
    h.app.emulator!.setBehaviour("test/twenty-minutes", { runMs: 20 * MINUTE });
    const first = runIdOf(await post("o_all"));
    const second = runIdOf(await post("o_all"));
    const third = runIdOf(await post("o_all"));
    const canceling = await createCancelRunHandler(deps())(
      new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/o_all/runs/${second}/cancel`, params: { job: "o_all", runId: second } }),
      h.app.host.client,
      context(),
    );
    expect(canceling.status).toBe(202);
    const [a, b, c] = await Promise.all([result(first), result(second), result(third)]);
    expect(b).toMatchObject({ status: "canceled", attempts: [], cancellation: { phase: "queued" } });
    expect(c.status).toBe("succeeded");
    expect(span(c).from).toBeGreaterThanOrEqual(span(a).to);
  });
});
