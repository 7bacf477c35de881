/**
 * Issue 9's failures, end to end through the real app, the in-process host (virtual time), the ACI
 * emulator and Azurite: a run stopped from outside, a final log read that never answers, activities
 * delivered twice, the labels of uncertain clean-ups, and faults the SDK does not retry by itself.
 */
import { InvocationContext, type Timer } from "@azure/functions";
import { beforeEach, describe, expect, it } from "vitest";
import type { VirtualClock } from "../../dev/clock";
import { EventType } from "../../dev/durable-host";
import type { ActivityRedelivery } from "../../dev/durable-host/types";
import { deploymentName } from "../../src/config";
import { createOrphanSweepHandler } from "../../src/functions/orphanSweeper";
import { watchInstanceId, type RunResult } from "../../src/runs/contracts";
import { newRunId, startRun } from "../../src/runs/startRun";
import { useHarness } from "./harness";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const PRINTER = "test/printer";
/** 40 lines over 4 minutes, some of them the same text, one a progress bar redrawn with carriage returns. */
const PRINTED = Array.from({ length: 40 }, (_, i) => ({ at: i * 6 * SECOND, line: i % 10 === 9 ? `progress 10%\r50%\r100% (${i})` : i % 4 === 0 ? "same line" : `line ${i}` }));

const jobs = [
  { id: "forever", timeout: "2h", retries: 0, container: { image: "test/forever" } },
  { id: "printer", retries: 0, container: { image: PRINTER } },
  { id: "hello", retries: 0, container: { image: "hello-world" } },
  { id: "kept", retries: 0, removeOnError: false, container: { image: "test/exit:3" } },
  { id: "kept_then_retried", retries: 1, retryDelay: "1h", removeOnError: false, container: { image: "test/exit:3" } },
  { id: "retried_later", retries: 1, retryDelay: "1h", container: { image: "test/slow-exit:3" } },
];

/** Runs `act` when a run of `jobId` starts waiting to retry (inside that episode, before time moves on). */
function whenWaitingToRetry(jobId: string, act: (runId: string) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = h.onLog((record) => {
      const match = new RegExp(`^run (${jobId}-\\S+) attempt \\d+: waitingToRetry`, "u").exec(record.message);
      if (!match) return;
      stop();
      act(match[1]!).then(resolve, reject);
    });
  });
}

let redelivery: (name: string) => ActivityRedelivery = () => "none";
const h = useHarness(jobs, { storage: true, activityRedelivery: (name) => redelivery(name), armRequestTimeoutMs: 500 });

beforeEach(() => {
  // The harness forgets scripted images after each test.
  h.app.emulator!.setBehaviour("test/forever", { runMs: Number.POSITIVE_INFINITY });
  h.app.emulator!.setBehaviour("test/exit:3", { runMs: 5 * SECOND, exitCode: 3 });
});

function context(lines: string[]): InvocationContext {
  return new InvocationContext({ functionName: "sweepOrphanedGroups", invocationId: "sweep", logHandler: (_level, ...args) => lines.push(args.map(String).join(" ")) });
}

const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };

/** Runs the orphan sweep as its timer would, at the emulator's (virtual) time; returns what it logged. */
async function sweep(): Promise<string[]> {
  const lines: string[] = [];
  await createOrphanSweepHandler({ aci: h.app.services.aci, app: deploymentName(h.app.config.runStateStorage!)!, now: () => h.app.clock.now() })(timer, h.app.host.client, context(lines));
  return lines;
}

async function archived(result: RunResult, attempt = 1): Promise<string[]> {
  const text = await h.app.services.archive!.read({ runId: result.runId, attempt });
  return (text ?? "").split("\n").slice(0, -1);
}

/** The log record's lines without their timestamps. */
const texts = (lines: readonly string[]) => lines.map((line) => line.replace(/^\S+ /u, ""));

describe("a run stopped from outside", () => {
  it("leaves its group to the orphan sweeper, which deletes it once the run has been over for the grace period", async () => {
    const job = h.app.jobs.get("forever")!;
    const runId = newRunId(job.id, new Date(h.app.clock.now()));
    const running = h.whenRunning("forever", async (group) => {
      // A sweep while the run is active leaves its group alone, however long it has run.
      (h.app.clock as VirtualClock).advanceBy(HOUR);
      await sweep();
      expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual([group]);
      // As the portal, Durable Functions Monitor or an operator would.
      await h.app.host.client.terminate(runId, "stopped by an operator");
      return group;
    });
    await startRun({ client: h.app.host.client, job, runId, trigger: { kind: "cli" }, defaultRegion: "eastus" });
    const group = await running;
    expect(String((await h.app.host.waitForCompletion(runId)).runtimeStatus)).toBe("Terminated");
    // Nothing in the run deleted the group: the watch runs on until the run's deadline, then stops too.
    await h.app.host.waitForCompletion(watchInstanceId(runId, 1));
    expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual([group]);

    const logged = await sweep();
    expect(h.app.emulator!.listGroups()).toEqual([]);
    expect(logged).toContainEqual(expect.stringMatching(new RegExp(`deleted container group ${group} of run ${runId}: its run is terminated`, "u")));
  });

  it("spares a kept group, another deployment's, an untagged one, and one whose tags name no run of this app", async () => {
    const aci = h.app.services.aci;
    // Another deployment's group and a group someone made by hand, both in the jobs' resource group.
    const base = { location: "eastus", osType: "Linux", restartPolicy: "Never", containers: [{ name: "c", image: "test/forever", resources: { requests: { cpu: 1, memoryInGB: 1 } } }] };
    await aci.create("other-deployment", { ...base, containers: [{ ...base.containers[0]!, name: "other-deployment" }], tags: { "aci-jobs-app": "another", "aci-jobs-job": "forever", "aci-jobs-run-id": "forever-20260101T000000Z-0123abcd", "aci-jobs-attempt": "1" } } as never);
    await aci.create("by-hand", { ...base, containers: [{ ...base.containers[0]!, name: "by-hand" }] } as never);
    // Tags are anyone's to write: a run id this app would never make must not reach the Durable client.
    await aci.create("forged", { ...base, containers: [{ ...base.containers[0]!, name: "forged" }], tags: { "aci-jobs-app": deploymentName(h.app.config.runStateStorage!)!, "aci-jobs-job": "forever", "aci-jobs-run-id": "forever/../../x?taskHub=other", "aci-jobs-attempt": "1" } } as never);
    const { result } = await h.run("kept");
    expect(result.attempts[0], result.detail).toMatchObject({ cleanup: "kept" });
    (h.app.clock as VirtualClock).advanceBy(HOUR);
    await sweep();
    expect(h.app.emulator!.listGroups().map((g) => g.name).sort()).toEqual(["by-hand", "forged", result.attempts[0]!.groupName, "other-deployment"].sort());
    for (const name of ["by-hand", "forged", "other-deployment", result.attempts[0]!.groupName]) await h.deleteGroup(name);
  });
});

describe("the orphan sweeper and runs that are not over", () => {
  it("spares a group an earlier attempt kept, also when the run is then terminated before it finishes", async () => {
    const job = h.app.jobs.get("kept_then_retried")!;
    const runId = newRunId(job.id, new Date(h.app.clock.now()));
    const terminated = whenWaitingToRetry(job.id, async (id) => {
      await h.app.host.client.terminate(id, "stopped by an operator");
    });
    await startRun({ client: h.app.host.client, job, runId, trigger: { kind: "cli" }, defaultRegion: "eastus" });
    await terminated;
    expect(String((await h.app.host.waitForCompletion(runId)).runtimeStatus)).toBe("Terminated");
    // Attempt 1 kept its group; if attempt 2 got to create one before the run was terminated, that one goes.
    const kept = h.app.emulator!.listGroups().map((g) => g.name).filter((name) => name.endsWith("-a1"));
    expect(kept).toHaveLength(1);
    (h.app.clock as VirtualClock).advanceBy(HOUR);
    await sweep();
    expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual(kept);
    await h.deleteGroup(kept[0]!);
  });

  it("deletes the group of an attempt that could not delete it while its run goes on, without waiting for the run", async () => {
    h.app.emulator!.setBehaviour("test/slow-exit:3", { runMs: MINUTE, exitCode: 3 });
    h.app.emulator!.injectFault({ method: "DELETE", times: 1, fault: { status: 403, code: "AuthorizationFailed", message: "no delete for now" } });
    const job = h.app.jobs.get("retried_later")!;
    const runId = newRunId(job.id, new Date(h.app.clock.now()));
    // Inside attempt 2's first look at its running group: the run is active, attempt 1 over and its group left.
    const swept = new Promise<string[]>((resolve, reject) => {
      const stop = h.onLog((record) => {
        if (!/ attempt 2\] container group \S+: running$/u.test(record.message)) return;
        stop();
        const groups = h.app.emulator!.listGroups().map((g) => g.name);
        sweep()
          .then((logged) => {
            expect(groups).toHaveLength(2);
            expect(h.app.emulator!.listGroups().map((g) => g.name)).toEqual(groups.filter((name) => name.endsWith("-a2")));
            resolve(logged);
          })
          .catch(reject);
      });
    });
    await startRun({ client: h.app.host.client, job, runId, trigger: { kind: "cli" }, defaultRegion: "eastus" });
    const logged = await swept;
    const result = (await h.app.host.waitForCompletion(runId)).output as RunResult;
    expect(result.attempts.map((a) => a.cleanup)).toEqual(["failed", "deleted"]);
    expect(result.detail).toContain("the orphan sweeper deletes it");
    expect(logged).toContainEqual(expect.stringContaining("attempt 1 could not delete it; its run goes on"));
  });
});

describe("the container's output", () => {
  it("reports lines lost when the final log read keeps failing, instead of a complete log", async () => {
    h.app.emulator!.setBehaviour(PRINTER, { runMs: 4 * MINUTE + 30 * SECOND, logs: PRINTED });
    const reads = h.whenRunning("printer", () => undefined);
    const started = h.run("printer");
    await reads;
    // Every log read from now on fails: the looks' streaming and the final read alike.
    h.app.emulator!.injectFault({ method: "GET", path: "/logs", times: 1_000, fault: { status: 503 } });
    const { result } = await started;
    h.app.emulator!.reset();
    expect(result.status).toBe("succeeded");
    expect(result.attempts[0]!.logLinesMissed).toBe(true);
    expect(result.detail).toMatch(/The container's last output could not be read \(.*ServiceUnavailable.*\); lines after the first \d+ were not collected\./u);
  });

  it("holds each line once in the run's log record when every look and the final read run twice", async () => {
    for (const mode of ["afterCompletion", "concurrently"] as const) {
      redelivery = (name) => (name === "observeContainerGroup" || name === "collectContainerLogs" ? mode : "none");
      h.app.emulator!.setBehaviour(PRINTER, { runMs: 4 * MINUTE + 30 * SECOND, logs: PRINTED });
      const { result } = await h.run("printer");
      redelivery = () => "none";
      expect(result.status, result.detail).toBe("succeeded");
      // The function log is at least once: it may hold lines twice. The record holds each once, in order.
      const record = await archived(result);
      expect(texts(record), mode).toEqual(PRINTED.map((p) => p.line));
      expect(result.attempts[0]).toMatchObject({ logLines: PRINTED.length, logArchive: { lines: PRINTED.length, unarchived: 0 } });
    }
  });

  it("keeps a line with carriage returns whole, with its own timestamp", async () => {
    h.app.emulator!.setBehaviour(PRINTER, { runMs: 4 * MINUTE + 30 * SECOND, logs: PRINTED });
    const { runId, result } = await h.run("printer");
    expect(h.containerLines(runId)).toEqual(PRINTED.map((p) => p.line));
    const record = await archived(result);
    const progress = record.filter((line) => line.includes("progress"));
    expect(progress).toHaveLength(4);
    for (const line of progress) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z progress 10%\r50%\r100% \(\d+\)$/u);
    expect(new Set(record.map((line) => line.slice(0, 30))).size).toBe(record.length);
  });
});

describe("labels of uncertain clean-ups", () => {
  it("reports a DELETE whose answer was lost as deleted, not already gone", async () => {
    for (const times of [1, 4, 30]) {
      h.app.emulator!.injectFault({ method: "DELETE", times, fault: { kind: "lostResponse" } });
      const { result } = await h.run("hello");
      expect(result.attempts[0], `${times} lost`).toMatchObject({ outcome: "succeeded", cleanup: "deleted" });
      h.app.emulator!.reset();
    }
  });

  it("does not call a group that was never created 'not cleaned up' when Azure never says whether it exists", async () => {
    // The create never gets through, and neither does the clean-up's check whether it did.
    h.app.emulator!.injectFault({ method: "PUT", times: 1_000, fault: { status: 500 } });
    h.app.emulator!.injectFault({ method: "GET", times: 1_000, fault: { status: 500 } });
    const { result } = await h.run("hello");
    h.app.emulator!.reset();
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "activityFailed", cleanup: "unknown" });
    expect(result.detail).not.toContain("Not cleaned up");
    expect(result.detail).toContain("Azure never said whether");
    expect(h.app.emulator!.listGroups()).toEqual([]);
  });

  it("classes a create throttled until its retries ran out as capacity", async () => {
    h.app.emulator!.injectFault({ method: "PUT", times: 1_000, fault: { status: 429 } });
    const { result } = await h.run("hello");
    h.app.emulator!.reset();
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", reason: "capacity", failureClass: "capacity", cleanup: "notCreated" });
  });
});

describe("faults the SDK does not retry by itself", () => {
  it("deletes the group through 30 conflicts in a row (409 ContainerGroupTransitioning) and 30 throttled DELETEs without Retry-After", async () => {
    for (const fault of [{ status: 409, code: "ContainerGroupTransitioning", message: "The container group is transitioning, please retry later." }, { status: 429 }] as const) {
      h.app.emulator!.injectFault({ method: "DELETE", times: 30, fault });
      const { result } = await h.run("hello");
      expect(result.attempts[0], JSON.stringify(fault)).toMatchObject({ outcome: "succeeded", cleanup: "deleted" });
      h.app.emulator!.reset();
    }
  });

  it("tries a request again when its answer never comes, instead of waiting until the function times out", async () => {
    // Each stalled request is carried out, and then nothing: the client gives up after its timeout.
    h.app.emulator!.injectFault({ method: "GET", path: /\/containerGroups\/[^/]+$/u, times: 2, fault: { kind: "noAnswer" } });
    h.app.emulator!.injectFault({ method: "DELETE", times: 2, fault: { kind: "noAnswer" } });
    const { result } = await h.run("hello");
    expect(result.status, result.detail).toBe("succeeded");
    expect(result.attempts[0]).toMatchObject({ cleanup: "deleted" });
    expect(h.app.emulator!.pendingFaults()).toBe(0);
  });

  it("gives a 429 without Retry-After the requests a 5xx gets, with backoff, before an activity fails", async () => {
    h.app.emulator!.injectFault({ method: "PUT", times: 3, fault: { status: 429 } });
    const { runId, result } = await h.run("hello");
    expect(result.status, result.detail).toBe("succeeded");
    // All three absorbed inside the one execution of the create: no activity failure in history.
    expect(h.app.host.history(runId).filter((e) => e.EventType === EventType.TaskFailed)).toEqual([]);
  });
});
