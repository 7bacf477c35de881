/**
 * The watch near its deadline, in the in-process host with a fake observe activity that takes time, as an
 * ARM call does. On the Azure Storage provider a timer can complete up to a second before its fire time
 * (durable-functions.md §21; the in-process host reproduces it), so "the timer fired" does not mean
 * "now ≥ fire time": the watch must not take a look that fell short of the deadline for one before it.
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../dev/clock";
import { DurableHost } from "../../../dev/durable-host";
import { Activities, type ObserveContainerGroupResult } from "../../../src/activities/contracts";
import { START_OF_LOG } from "../../../src/aci/logs";
import { watchContainerGroup, type WatchInput, type WatchResult } from "../../../src/orchestrations/watchContainerGroup";
import { Orchestrations } from "../../../src/runs/contracts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function watchInput(deadlineAfterMs: number): WatchInput {
  return {
    ref: { jobId: "job", runId: "run", attempt: 1, groupName: "group" },
    redact: [],
    createdAt: T0,
    deadline: T0 + deadlineAfterMs,
    cursor: START_OF_LOG,
    previousPhase: null,
    polls: 0,
    failingSince: null,
  };
}

async function watchUntilDeadline(deadlineAfterMs: number, armCallMs: number): Promise<{ result: WatchResult; looks: number[] }> {
  const clock = new VirtualClock(T0);
  const host = new DurableHost({ clock });
  const looks: number[] = [];
  host.registerOrchestrator(Orchestrations.watchContainerGroup, watchContainerGroup);
  host.registerActivity(Activities.observeContainerGroup, async (): Promise<ObserveContainerGroupResult> => {
    looks.push(clock.now() - T0);
    clock.advanceBy(armCallMs);
    return { kind: "observed", state: { phase: "running" }, provisioningState: "Succeeded", restartCount: 0, events: [], cursor: START_OF_LOG };
  });
  await host.client.startNew(Orchestrations.watchContainerGroup, { instanceId: "watch", input: watchInput(deadlineAfterMs) });
  const status = await host.waitForCompletion("watch");
  host.dispose();
  return { result: status.output as WatchResult, looks };
}

describe("watchContainerGroup at its deadline", () => {
  it("takes one look at the deadline and times out, although the timer for it completed early", async () => {
    // Each call takes 300 ms, and a 10 s timer reaches the watch 3.2 s late (the queue's polling,
    // dev/durable-host/timerQueue.ts), so looks fall at 13.2 s, 26.7 s, 40.2 s. The next would be at 50.5 s,
    // past the deadline, so it is taken at the deadline instead: asked at 40.5 s for 44.4 s, a 3.9 s timer,
    // visible after 3 s (whole seconds) and picked up at the poll 3.5 s on, wakes the watch at 44.0 s, before
    // the deadline. That look is the last: looking again until the clock passes 44.4 s would take another (the
    // real extension measured up to 7 timers in such a loop).
    const { result, looks } = await watchUntilDeadline(44_400, 300);
    expect(result.kind).toBe("timedOut");
    expect(looks).toEqual([13_200, 26_700, 40_200, 44_000]);
    expect(result.polls).toBe(4);
  });

  it("still notices an exit seen at that last look", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    let calls = 0;
    host.registerOrchestrator(Orchestrations.watchContainerGroup, watchContainerGroup);
    host.registerActivity(Activities.observeContainerGroup, async (): Promise<ObserveContainerGroupResult> => {
      calls += 1;
      clock.advanceBy(300);
      const state = calls < 2 ? ({ phase: "running" } as const) : ({ phase: "exited", exitCode: 0, detailStatus: "Completed", oomKilled: false } as const);
      return { kind: "observed", state, provisioningState: "Succeeded", restartCount: 0, events: [], cursor: START_OF_LOG };
    });
    await host.client.startNew(Orchestrations.watchContainerGroup, { instanceId: "watch", input: watchInput(15_500) });
    const result = (await host.waitForCompletion("watch")).output as WatchResult;
    host.dispose();
    expect(result.kind).toBe("finished");
    expect(calls).toBe(2);
  });
});
