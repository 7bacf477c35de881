/**
 * The cancel signal in the watch, in the in-process host with a fake observe activity: a cancel that
 * comes between looks ends the watch at once, and one that comes during a look ends it right after that
 * look, without another timer. Also how a raw event's data becomes a request.
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../dev/clock";
import { DurableHost } from "../../../dev/durable-host";
import { Activities, type ObserveContainerGroupResult } from "../../../src/activities/contracts";
import { START_OF_LOG } from "../../../src/aci/logs";
import { cancelRequestOf } from "../../../src/orchestrations/cancellation";
import { watchContainerGroup, type WatchInput, type WatchResult } from "../../../src/orchestrations/watchContainerGroup";
import { Orchestrations, RunEvents } from "../../../src/runs/contracts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;

const input: WatchInput = {
  ref: { jobId: "job", runId: "run", attempt: 1, groupName: "group" },
  redact: [],
  createdAt: T0,
  deadline: T0 + 24 * HOUR,
  cursor: START_OF_LOG,
  previousPhase: null,
  polls: 0,
  failingSince: null,
};

/** A virtual clock that calls `beforeNextAdvance` once, when the host next moves time on (to a timer). */
class HookedClock extends VirtualClock {
  beforeNextAdvance: (() => void) | undefined;
  override advanceTo(time: number): void {
    const hook = this.beforeNextAdvance;
    this.beforeNextAdvance = undefined;
    hook?.();
    super.advanceTo(time);
  }
}

/** Runs the watch and raises a cancel at the `cancelAtLook`-th look: after it, while the watch waits on its timer, or inside it. */
async function watchCanceled(cancelAtLook: number, during: "betweenLooks" | "look"): Promise<{ result: WatchResult; looks: number[]; canceledAt: number; endedAt: number }> {
  const clock = new HookedClock(T0);
  const host = new DurableHost({ clock });
  const looks: number[] = [];
  let canceledAt = 0;
  const cancel = () => {
    canceledAt = clock.now();
    void host.client.raiseEvent("watch", RunEvents.cancel, { requestedAt: new Date(canceledAt).toISOString(), by: "test", reason: "because" });
  };
  host.registerOrchestrator(Orchestrations.watchContainerGroup, watchContainerGroup);
  host.registerActivity(Activities.observeContainerGroup, async (): Promise<ObserveContainerGroupResult> => {
    looks.push(clock.now() - T0);
    if (looks.length === cancelAtLook && during === "look") cancel();
    clock.advanceBy(300);
    // Between looks: when the host next moves time on, to the timer the watch then waits on, the cancel
    // comes first (it is in the instance's inbox before the timer fires).
    if (looks.length === cancelAtLook && during === "betweenLooks") clock.beforeNextAdvance = cancel;
    return { kind: "observed", state: { phase: "running" }, provisioningState: "Succeeded", restartCount: 0, events: [], cursor: START_OF_LOG };
  });
  await host.client.startNew(Orchestrations.watchContainerGroup, { instanceId: "watch", input });
  const status = await host.waitForCompletion("watch");
  host.dispose();
  return { result: status.output as WatchResult, looks, canceledAt, endedAt: Date.parse(String(status.lastUpdatedTime)) };
}

describe("a cancel reaching the watch", () => {
  it("ends it between looks, without waiting for the next look", async () => {
    const { result, looks, canceledAt, endedAt } = await watchCanceled(3, "betweenLooks");
    expect(result).toMatchObject({ kind: "canceled", polls: 3, request: { by: "test", reason: "because" } });
    expect(looks).toHaveLength(3);
    expect(endedAt - canceledAt).toBeLessThan(15_000);
  });

  it("ends it right after a look that was under way, before another timer", async () => {
    const { result, looks } = await watchCanceled(2, "look");
    expect(result).toMatchObject({ kind: "canceled", polls: 2 });
    expect(looks).toHaveLength(2);
  });
});

describe("cancelRequestOf", () => {
  const receivedAt = "2026-12-05T10:00:00.000Z";

  it("keeps the strings a request carries", () => {
    expect(cancelRequestOf({ requestedAt: "2026-12-05T09:59:59.000Z", by: "ops", reason: "hung" }, receivedAt)).toEqual({
      requestedAt: "2026-12-05T09:59:59.000Z",
      by: "ops",
      reason: "hung",
    });
  });

  it("makes a request of anything a raw raiseEvent sends: no data, wrong types, a bad time, long texts", () => {
    expect(cancelRequestOf(undefined, receivedAt)).toEqual({ requestedAt: receivedAt });
    expect(cancelRequestOf("stop", receivedAt)).toEqual({ requestedAt: receivedAt });
    expect(cancelRequestOf({ requestedAt: "yesterday", by: 5, reason: "  " }, receivedAt)).toEqual({ requestedAt: receivedAt });
    const long = cancelRequestOf({ by: "b".repeat(1_000), reason: "r".repeat(5_000) }, receivedAt);
    expect(long.by).toHaveLength(200);
    expect(long.reason).toHaveLength(1_000);
  });
});
