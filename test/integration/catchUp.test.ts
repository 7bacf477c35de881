/**
 * Catching up after downtime (issue 11, item 6): the timer fires once, past due, after a 3-day outage.
 * Missed slots are found from the job's schedule record (or the timer's own schedule status); those
 * within catchupWindow start oldest first, the rest are recorded as missed, never dropped in silence.
 */
import { InvocationContext, type Timer } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createScheduledRunHandler, missedSlots } from "../../src/functions/scheduledRuns";
import type { JobSpec } from "../../src/jobs/definition";
import { loadJobs } from "../../src/jobs";
import { withAction, type ScheduleAction } from "../../src/runs/jobState";
import { useHarness } from "./harness";

const jobs = [
  { id: "hourly_plain", schedule: "@hourly", maxActiveRuns: 10, container: { image: "hello-world" } },
  { id: "hourly_window", schedule: "@hourly", maxActiveRuns: 10, catchupWindow: "6h", container: { image: "hello-world" } },
  { id: "daily_window", schedule: "@daily", maxActiveRuns: 1, catchupWindow: "3d", container: { image: "hello-world" } },
  { id: "first_firing", schedule: "@daily", catchupWindow: "3d", container: { image: "hello-world" } },
  { id: "first_on_time", schedule: "@daily", catchupWindow: "3d", container: { image: "hello-world" } },
];

const h = useHarness(jobs, { storage: true });

type Scheduled = JobSpec & { schedule: NonNullable<JobSpec["schedule"]> };
const job = (id: string) => h.app.jobs.get(id) as Scheduled;
const timer = (last = ""): Timer => ({ isPastDue: true, schedule: { adjustForDST: false }, scheduleStatus: { last, next: "", lastUpdated: "" } });
const context = (lines: string[]) => new InvocationContext({ functionName: "t", invocationId: "i", logHandler: (_l, ...args) => lines.push(args.map(String).join(" ")) });

/** The job's record says its timer last handled `slot` (as before an outage). */
async function lastHandled(jobId: string, slot: string): Promise<void> {
  await h.app.services.jobState!.update(jobId, (state) => withAction(state, { slot, at: slot, action: "started", runId: `${jobId}-scheduled-x` }));
}

async function fireAfterOutage(jobId: string, firedAt: string, last = "", beforeDrain?: () => void): Promise<{ lines: string[]; actions: ScheduleAction[] }> {
  const lines: string[] = [];
  const deps = { jobs: h.app.jobs, defaultRegion: "eastus", slots: h.app.services.slots, jobState: h.app.services.jobState, now: () => new Date(firedAt) };
  await createScheduledRunHandler(job(jobId), deps)(timer(last), h.app.host.client, context(lines));
  beforeDrain?.();
  await h.app.host.drain();
  return { lines, actions: [...(await h.app.services.jobState!.read(jobId)).actions] };
}

describe("after a 3-day outage", () => {
  it("without a catchupWindow runs only the latest slot, and records the 71 missed ones", async () => {
    await lastHandled("hourly_plain", "2026-11-20T00:00:00.000Z");
    const { actions, lines } = await fireAfterOutage("hourly_plain", "2026-11-23T00:05:00.000Z");
    expect(actions.slice(0, 2)).toEqual([
      { slot: "2026-11-23T00:00:00.000Z", at: "2026-11-23T00:05:00.000Z", action: "started", runId: "hourly_plain-scheduled-20261123T000000Z" },
      { slot: "2026-11-20T01:00:00.000Z", at: "2026-11-23T00:05:00.000Z", action: "missed", until: "2026-11-22T23:00:00.000Z", count: 71 },
    ]);
    expect(lines[0]).toBe("71 slot(s) of hourly_plain from 2026-11-20T01:00:00.000Z to 2026-11-22T23:00:00.000Z were missed while the app was down and are not run (catchupWindow none)");
  });

  it("with catchupWindow 6h runs the missed slots within it, oldest first, then the latest; the older ones are recorded as missed", async () => {
    await lastHandled("hourly_window", "2026-11-20T00:00:00.000Z");
    const { actions } = await fireAfterOutage("hourly_window", "2026-11-23T00:05:00.000Z");
    const started = actions.filter((a) => a.action === "started" && a.at === "2026-11-23T00:05:00.000Z").map((a) => a.slot).reverse();
    expect(started).toEqual([
      "2026-11-22T19:00:00.000Z",
      "2026-11-22T20:00:00.000Z",
      "2026-11-22T21:00:00.000Z",
      "2026-11-22T22:00:00.000Z",
      "2026-11-22T23:00:00.000Z",
      "2026-11-23T00:00:00.000Z",
    ]);
    expect(actions.find((a) => a.action === "missed")).toEqual({
      slot: "2026-11-20T01:00:00.000Z",
      at: "2026-11-23T00:05:00.000Z",
      action: "missed",
      until: "2026-11-22T18:00:00.000Z",
      count: 66,
    });
    for (const slot of started) {
      const status = await h.app.host.client.getStatus(`hourly_window-scheduled-${slot.replace(/[-:]|\.000/gu, "")}`);
      expect(String(status.runtimeStatus)).toBe("Completed");
      expect(status.input).toMatchObject({ trigger: { kind: "schedule", pastDue: true } });
    }
  });

  it("starts caught-up slots through the job's active-run limit: with 1 allowed, the others are recorded as skipped", async () => {
    // The first run's create is held, so it is still active when the later slots ask for the slot.
    let release!: () => void;
    h.app.emulator!.injectFault({ method: "PUT", fault: { kind: "held", until: new Promise<void>((resolve) => (release = resolve)) } });
    await lastHandled("daily_window", "2026-11-20T00:00:00.000Z");
    // Released once the firing has asked for every slot.
    const { actions } = await fireAfterOutage("daily_window", "2026-11-23T00:00:05.000Z", "", () => release());
    const recent = actions.filter((a) => a.at === "2026-11-23T00:00:05.000Z").reverse();
    expect(recent.map((a) => [a.slot, a.action])).toEqual([
      ["2026-11-21T00:00:00.000Z", "started"],
      ["2026-11-22T00:00:00.000Z", "skippedOverlap"],
      ["2026-11-23T00:00:00.000Z", "skippedOverlap"],
    ]);
  });

  it("takes the last slot from the timer's schedule status when the job has no record yet", async () => {
    const { actions } = await fireAfterOutage("hourly_plain", "2026-11-30T03:00:02.000Z", "2026-11-30T00:00:00Z");
    // hourly_plain has a record from the first test; a fresh job stands for one without.
    expect(actions[0]).toMatchObject({ slot: "2026-11-30T03:00:00.000Z", action: "started" });
    const fresh = loadJobs([{ id: "fresh", schedule: "@hourly", container: { image: "hello-world" } }]).get("fresh") as Scheduled;
    expect(missedSlots(fresh, "2026-11-30T00:00:00Z", new Date("2026-11-30T03:00:00Z"), new Date("2026-11-30T03:00:02Z"))).toEqual({
      catchUp: [],
      missed: { from: "2026-11-30T01:00:00.000Z", to: "2026-11-30T02:00:00.000Z", count: 2 },
    });
    expect(missedSlots(fresh, undefined, new Date("2026-11-30T03:00:00Z"), new Date())).toEqual({ catchUp: [] });
  });
});

describe("a job without a record yet", () => {
  it("takes nothing from a schedule status that says the timer never fired (DateTime's minimum), or from an on-time firing", async () => {
    const lines: string[] = [];
    const deps = { jobs: h.app.jobs, defaultRegion: "eastus", slots: h.app.services.slots, jobState: h.app.services.jobState, now: () => new Date("2026-11-23T00:00:03Z") };
    await createScheduledRunHandler(job("first_firing"), deps)(timer("0001-01-01T00:00:00"), h.app.host.client, context(lines));
    // An on-time firing says nothing was missed, whatever the status's last time.
    const onTime: Timer = { ...timer("2026-11-21T00:00:00Z"), isPastDue: false };
    await createScheduledRunHandler(job("first_on_time"), deps)(onTime, h.app.host.client, context(lines));
    await h.app.host.drain();
    for (const id of ["first_firing", "first_on_time"]) {
      expect((await h.app.services.jobState!.read(id)).actions.map((a) => [a.slot, a.action])).toEqual([["2026-11-23T00:00:00.000Z", "started"]]);
    }
    expect(lines.filter((line) => line.includes("missed"))).toEqual([]);
  });
});

describe("the record's newest action", () => {
  it("a missed range counts up to its last slot, so the same gap is never reported twice", async () => {
    await h.app.services.jobState!.update("hourly_plain", (state) =>
      withAction(state, { slot: "2026-12-01T01:00:00.000Z", at: "2026-12-01T06:00:05.000Z", action: "missed", until: "2026-12-01T05:00:00.000Z", count: 5 }),
    );
    const { actions } = await fireAfterOutage("hourly_plain", "2026-12-01T06:00:01.000Z");
    expect(actions[0]).toMatchObject({ slot: "2026-12-01T06:00:00.000Z", action: "started" });
    expect(actions[1]).toMatchObject({ action: "missed", count: 5 });
  });
});

describe("catchupWindow in a definition", () => {
  it("is a duration of at most 30 days; anything else stops the app naming the job and field", () => {
    expect(() => loadJobs([{ id: "x", schedule: "@daily", catchupWindow: "3 days", container: { image: "hello-world" } }])).toThrow(/job "x", field catchupWindow: "3 days" is not a duration/u);
    expect(() => loadJobs([{ id: "x", schedule: "@daily", catchupWindow: "31d", container: { image: "hello-world" } }])).toThrow(/job "x", field catchupWindow: catchupWindow must be at most 30d/u);
    expect(loadJobs([{ id: "x", schedule: "@daily", catchupWindow: "3d", container: { image: "hello-world" } }]).get("x")?.catchupWindow).toBe(3 * 86_400_000);
  });
});
