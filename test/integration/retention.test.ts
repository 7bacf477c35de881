/**
 * Issue 12, item 2: retention. A run that finished more than RUN_RETENTION_DAYS ago is purged with
 * everything it left (its history and its watches', its archived logs, its index entries), in bounded
 * passes that pick up where the last stopped; an active run is never purged; old idempotency keys and
 * schedule-record entries go too. Through the real timer handler, the in-process host and Azurite.
 */
import { HttpRequest, InvocationContext, type Timer } from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import { createRunRetentionHandler, type RunRetentionDeps } from "../../src/functions/runRetention";
import { createStartRunHandler, type RunsApiDeps } from "../../src/functions/runsApi";
import { watchInstanceId, type RunResult } from "../../src/runs/contracts";
import { withAction } from "../../src/runs/jobState";
import { findRun } from "../../src/runs/startRun";
import type { VirtualClock } from "../../dev/clock";
import { useHarness } from "./harness";

const SECOND = 1_000;
const DAY = 86_400_000;

const jobs = [
  { id: "kept", retries: 1, retryDelay: "1m", container: { image: "test/kept" } },
  { id: "long", retries: 0, container: { image: "test/long" } },
];

const h = useHarness(jobs, { storage: true, runStateContainer: "retention-test" });

function runsDeps(): RunsApiDeps {
  const s = h.app.services;
  return { jobs: h.app.jobs, defaultRegion: "eastus", slots: s.slots, queue: s.queue, index: s.index, idempotency: s.idempotency, now: () => new Date(h.app.clock.now()) };
}

function context(lines: string[] = []): InvocationContext {
  return new InvocationContext({ functionName: "purgeRunHistory", invocationId: "inv-1", logHandler: (_level, ...args) => lines.push(args.join(" ")) });
}

async function start(job: string, key?: string): Promise<string> {
  const request = new HttpRequest({ method: "POST", url: `http://localhost:7071/api/jobs/${job}/runs`, params: { job }, ...(key ? { headers: { "idempotency-key": key } } : {}) });
  const response = await createStartRunHandler(runsDeps())(request, h.app.host.client, context());
  expect(response.status).toBe(202);
  return (response.jsonBody as { runId: string }).runId;
}

async function finished(runId: string): Promise<RunResult> {
  return (await h.app.host.waitForCompletion(runId)).output as RunResult;
}

const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };

async function purge(at: number, limits?: RunRetentionDeps["limits"]): Promise<string[]> {
  const s = h.app.services;
  const lines: string[] = [];
  const deps: RunRetentionDeps = { index: s.index!, archive: s.archive, idempotency: s.idempotency, jobState: s.jobState, jobIds: ["kept", "long"], retentionDays: 30, now: () => at, ...(limits ? { limits } : {}) };
  await createRunRetentionHandler(deps)(timer, h.app.host.client, context(lines));
  return lines;
}

/** The idempotency keys stored (blobs under idempotency/ in this file's container). */
async function keys(): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(process.env.AZURITE_CONNECTION_STRING!).getContainerClient("retention-test");
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: "idempotency/" })) names.push(blob.name);
  return names;
}

async function listed(job: string): Promise<string[]> {
  return (await h.app.services.index!.list({ job, limit: 100 })).runs.map((run) => run.runId);
}

describe("the daily retention pass", () => {
  it("purges runs finished longer ago than RUN_RETENTION_DAYS with their histories, logs and entries, a bounded number per pass", async () => {
    // Two old runs of two attempts each (two watches each), printing a line per attempt.
    h.app.emulator!.setBehaviour("test/kept", { runMs: 10 * SECOND, exitCode: 1, logs: [{ at: 0, line: "working" }] });
    const old1 = await start("kept", "nightly-2026-12-01");
    const old1Result = await finished(old1);
    const old2 = await start("kept");
    await finished(old2);
    expect(old1Result.attempts).toHaveLength(2);
    (h.app.clock as VirtualClock).advanceBy(2 * DAY);
    h.app.emulator!.setBehaviour("test/kept", { runMs: 10 * SECOND, logs: [{ at: 0, line: "recent" }] });
    const recent = await start("kept");
    const recentResult = await finished(recent);
    // One run still going, started before the others finished: active runs are never purged.
    h.app.emulator!.setBehaviour("test/long", { runMs: 100 * DAY });
    const held = h.holdWhenRunning("long");
    const active = await start("long");
    const { runId: seen, release } = await held;
    expect(seen).toBe(active);
    expect(await h.app.services.archive!.read({ runId: old1, attempt: 2 })).toContain("working");
    expect(await keys()).toHaveLength(1);

    // 30 days after the recent run finished, minus a minute: only the two old runs are due. One per pass.
    const at = Date.parse(recentResult.finishedAt) + 30 * DAY - 60_000;
    const first = await purge(at, { runs: 1, stale: 100, keys: 100 });
    expect(first.join("\n")).toMatch(/purged 1 run\(s\) and 3 orchestration instance\(s\), more are due/u);
    expect(await listed("kept")).toEqual([recent, old2]);
    const second = await purge(at, { runs: 1, stale: 100, keys: 100 });
    expect(second.join("\n")).toMatch(/purged 1 run\(s\) and 3 orchestration instance\(s\);/u);
    expect(await listed("kept")).toEqual([recent]);

    for (const runId of [old1, old2]) {
      expect(await findRun(h.app.host.client, runId)).toBeUndefined();
      expect(await findRun(h.app.host.client, watchInstanceId(runId, 1))).toBeUndefined();
      expect(await findRun(h.app.host.client, watchInstanceId(runId, 2))).toBeUndefined();
      expect(await h.app.services.archive!.read({ runId, attempt: 1 })).toBeUndefined();
      expect(await h.app.services.archive!.read({ runId, attempt: 2 })).toBeUndefined();
    }
    expect((await h.app.services.index!.list({ limit: 100, state: "failed" })).runs).toEqual([]);
    // The recent run and the active one are untouched.
    expect(await findRun(h.app.host.client, recent)).toBeDefined();
    expect(await h.app.services.archive!.read({ runId: recent, attempt: 1 })).toContain("recent");
    expect(String((await findRun(h.app.host.client, active))?.runtimeStatus)).toBe("Running");
    expect(await listed("long")).toEqual([active]);
    // The old run's idempotency key went too.
    expect(await keys()).toEqual([]);
    // Nothing is due on another pass the same day.
    expect((await purge(at)).join("\n")).toMatch(/purged 0 run\(s\)/u);

    await h.app.host.client.raiseEvent(active, "cancel", { requestedAt: new Date(h.app.clock.now()).toISOString() });
    release();
    await finished(active);
    // The key is free again: the same request starts a new run.
    const again = await start("kept", "nightly-2026-12-01");
    expect(again).not.toBe(old1);
    await finished(again);
  });

  it("purges a run terminated from outside with its watch and its logs, once its end is recorded", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: 100 * DAY, logs: [{ at: 0, line: "started" }] });
    const held = h.holdWhenRunning("long");
    const runId = await start("long");
    const { groupName, release } = await held;
    await h.app.host.client.terminate(runId, "stopped by an operator");
    await h.app.host.waitForCompletion(runId);
    // Terminate reaches the run only: its watch goes on until the group is gone (as on the real extension).
    await h.deleteGroup(groupName);
    release();
    await h.app.host.waitForCompletion(watchInstanceId(runId, 1));
    expect(await h.app.services.archive!.read({ runId, attempt: 1 })).toContain("started");

    const lines = await purge(h.app.clock.now() + 31 * DAY);
    expect(lines.join("\n")).toMatch(/recorded the end of 1 run\(s\) listed as active/u);
    expect(await findRun(h.app.host.client, runId)).toBeUndefined();
    expect(await findRun(h.app.host.client, watchInstanceId(runId, 1))).toBeUndefined();
    expect(await h.app.services.archive!.read({ runId, attempt: 1 })).toBeUndefined();
    expect(await listed("long")).not.toContain(runId);
  });

  it("keeps the newest schedule-record entry of each job, however old, and drops older ones past retention", async () => {
    const jobState = h.app.services.jobState!;
    const now = Date.parse("2027-03-01T00:00:00Z");
    const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
    await jobState.update("long", (state) =>
      [60, 45, 40].reduce((s, daysAgo) => withAction(s, { slot: at(daysAgo), at: at(daysAgo), action: "started", runId: `long-scheduled-${daysAgo}` }), state),
    );
    await purge(now);
    expect((await jobState.read("long")).actions.map((action) => action.at)).toEqual([at(40)]);
  });
});
