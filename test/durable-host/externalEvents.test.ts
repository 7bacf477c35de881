import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost, EventType } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");

function hostWithApproval(): DurableHost {
  const host = new DurableHost({ clock: new VirtualClock(T0) });
  host.registerActivity("prepare", async () => "prepared");
  host.registerOrchestrator("approval", function* (context) {
    const prepared: string = yield context.df.callActivity("prepare");
    const decision: unknown = yield context.df.waitForExternalEvent("Approval");
    return { prepared, decision };
  });
  return host;
}

describe("DurableHost: external events", () => {
  it("delivers an event raised after the orchestrator started waiting", async () => {
    const host = hostWithApproval();
    const id = await host.client.startNew("approval");
    await host.drain(); // now it can only move on with the event
    expect((await host.client.getStatus(id)).runtimeStatus).toBe("Running");
    await host.client.raiseEvent(id, "Approval", { approved: true });
    const status = await host.waitForCompletion(id);
    expect(status.output).toEqual({ prepared: "prepared", decision: { approved: true } });
    const raised = host.history(id).find((event) => event.EventType === EventType.EventRaised);
    expect(raised).toMatchObject({ EventId: -1, Name: "Approval", Input: JSON.stringify({ approved: true }) });
  });

  it("buffers an event raised before the orchestrator waits for it", async () => {
    const host = hostWithApproval();
    const id = await host.client.startNew("approval");
    await host.client.raiseEvent(id, "Approval", "early");
    const status = await host.waitForCompletion(id);
    expect(status.output).toEqual({ prepared: "prepared", decision: "early" });
    // The event sits in the history before the orchestrator asked for it.
    const types = host.history(id).map((event) => event.EventType);
    expect(types.indexOf(EventType.EventRaised)).toBeLessThan(types.indexOf(EventType.TaskCompleted));
  });

  it("rejects waitForCompletion with the awaited event names when only an event could help", async () => {
    const host = hostWithApproval();
    const id = await host.client.startNew("approval");
    await expect(host.waitForCompletion(id)).rejects.toThrow(/cannot make progress.*'Approval'/);
  });

  it("ignores events for finished instances and rejects unknown instance ids like the client does", async () => {
    const host = hostWithApproval();
    const id = await host.client.startNew("approval");
    await host.client.raiseEvent(id, "Approval", 1);
    await host.waitForCompletion(id);
    await expect(host.client.raiseEvent(id, "Approval", 2)).resolves.toBeUndefined(); // HTTP 410: ignored
    await expect(host.client.raiseEvent("nope", "Approval", 2)).rejects.toThrow("No instance with ID 'nope' found.");
  });
});
