import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost, EventType, type HistoryEvent } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");

function fields(event: HistoryEvent | undefined): Record<string, unknown> {
  return (event ?? {}) as unknown as Record<string, unknown>;
}

describe("DurableHost: sub-orchestrations", () => {
  it("runs a child with ParentInstance and reports its result to the parent", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    host.registerActivity("double", async (n) => Number(n) * 2);
    host.registerOrchestrator("child", function* (context) {
      const input = context.df.getInput<number>();
      return yield context.df.callActivity("double", input);
    });
    host.registerOrchestrator("parent", function* (context) {
      const named: number = yield context.df.callSubOrchestrator("child", 21, "child-fixed-id");
      const unnamed: number = yield context.df.callSubOrchestrator("child", 5);
      return { named, unnamed, parentOfChild: context.df.parentInstanceId ?? null };
    });

    const id = await host.client.startNew("parent", { instanceId: "the-parent" });
    const status = await host.waitForCompletion(id);
    expect(status.output).toEqual({ named: 42, unnamed: 10, parentOfChild: null });

    const parentHistory = host.history(id);
    const created = parentHistory.filter((event) => event.EventType === EventType.SubOrchestrationInstanceCreated);
    const executionId = fields(parentHistory[1]).OrchestrationInstance as { ExecutionId: string };
    expect(created.map((event) => [event.EventId, fields(event).Name, fields(event).InstanceId, fields(event).Input])).toEqual([
      [0, "child", "child-fixed-id", "21"],
      // DurableTask.Core names an unnamed child "<parent ExecutionId>:<sequence number>".
      [1, "child", `${executionId.ExecutionId}:1`, "5"],
    ]);
    const completed = parentHistory.filter((event) => event.EventType === EventType.SubOrchestrationInstanceCompleted);
    expect(completed.map((event) => [fields(event).TaskScheduledId, fields(event).Result])).toEqual([
      [0, "42"],
      [1, "10"],
    ]);

    const childStarted = fields(host.history("child-fixed-id")[1]);
    expect(childStarted.ParentInstance).toEqual({
      Name: "parent",
      Version: "",
      TaskScheduleId: 0,
      OrchestrationInstance: { InstanceId: "the-parent", ExecutionId: executionId.ExecutionId },
    });
    expect((await host.client.getStatus("child-fixed-id")).runtimeStatus).toBe("Completed");
  });

  it("propagates a child's failure to the parent as SubOrchestrationInstanceFailed", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    host.registerOrchestrator("failingChild", function* () {
      throw new Error("child broke");
    });
    host.registerOrchestrator("catchingParent", function* (context) {
      try {
        yield context.df.callSubOrchestrator("failingChild", null, "kid");
        return "unexpected";
      } catch (error) {
        return (error as Error).message;
      }
    });
    const id = await host.client.startNew("catchingParent");
    const status = await host.waitForCompletion(id);
    expect(status.output).toEqual(expect.stringContaining("Orchestrator function 'failingChild' failed: child broke"));
    expect((await host.client.getStatus("kid")).runtimeStatus).toBe("Failed");
    const failed = fields(host.history(id).find((event) => event.EventType === EventType.SubOrchestrationInstanceFailed));
    expect(failed).toMatchObject({ TaskScheduledId: 0, Reason: "Orchestrator function 'failingChild' failed: child broke" });
  });

  it("retries a failing child with callSubOrchestratorWithRetry (new instance per attempt) and fails the parent after the last", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    let attempts = 0;
    host.registerActivity("mayFail", async () => {
      attempts += 1;
      if (attempts < 3) throw new Error(`attempt ${attempts}`);
      return `succeeded on attempt ${attempts}`;
    });
    host.registerOrchestrator("worker", function* (context) {
      return yield context.df.callActivity("mayFail");
    });
    host.registerOrchestrator("supervisor", function* (context) {
      return yield context.df.callSubOrchestratorWithRetry("worker", new df.RetryOptions(60_000, 3));
    });
    const id = await host.client.startNew("supervisor");
    expect((await host.waitForCompletion(id)).output).toBe("succeeded on attempt 3");
    const history = host.history(id);
    expect(history.filter((event) => event.EventType === EventType.SubOrchestrationInstanceCreated).map((event) => event.EventId)).toEqual([0, 2, 4]);
    expect(history.filter((event) => event.EventType === EventType.TimerCreated).map((event) => event.EventId)).toEqual([1, 3]);

    const failingHost = new DurableHost({ clock: new VirtualClock(T0) });
    failingHost.registerOrchestrator("alwaysFails", function* () {
      throw new Error("nope");
    });
    failingHost.registerOrchestrator("supervisor", function* (context) {
      return yield context.df.callSubOrchestratorWithRetry("alwaysFails", new df.RetryOptions(1000, 2));
    });
    const failingId = await failingHost.client.startNew("supervisor");
    const failed = await failingHost.waitForCompletion(failingId);
    expect(failed.runtimeStatus).toBe("Failed");
    expect(failed.output).toEqual(expect.stringContaining("Orchestrator function 'alwaysFails' failed: nope"));
  });
});
