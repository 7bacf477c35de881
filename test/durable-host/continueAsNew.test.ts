import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost, EventType, type HistoryEvent } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");

function executionIdOf(history: HistoryEvent[]): string {
  const started = history.find((event) => event.EventType === EventType.ExecutionStarted) as unknown as {
    OrchestrationInstance: { ExecutionId: string };
  };
  return started.OrchestrationInstance.ExecutionId;
}

describe("DurableHost: continueAsNew", () => {
  it("restarts with a fresh history and a new ExecutionId until the orchestrator returns", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    host.registerActivity("tick", async (n) => n);
    host.registerOrchestrator("counter", function* (context) {
      const n = context.df.getInput<number>();
      yield context.df.callActivity("tick", n);
      if (n < 3) {
        context.df.continueAsNew(n + 1);
        return undefined;
      }
      return `stopped at ${n}`;
    });
    const id = await host.client.startNew("counter", { input: 0 });
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe("stopped at 3");
    expect(status.input).toBe(3);
    const stats = host.stats().instances[0];
    expect(stats).toMatchObject({ executions: 4, activityCalls: 4 });

    // The last generation's history only: the dispatcher pre-writes [OrchestratorStarted, ExecutionStarted,
    // OrchestratorCompleted] and runs the new generation in the same work item.
    const history = host.history(id);
    expect(history.map((event) => `${event.EventType}/${event.EventId}`)).toEqual([
      "12/-1", "0/-1", "13/-1", "4/0", "13/-1",
      "12/-1", "5/-1", "1/1", "13/-1",
    ]);
    expect(history[1]).toMatchObject({ Input: "3" });
  });

  it("ends the old generation with a ContinueAsNew event and carries events that arrive with the decision over", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    host.registerOrchestrator("twoPhases", function* (context) {
      const phase = context.df.getInput<string>();
      if (phase === "first") {
        yield context.df.waitForExternalEvent("go");
        context.df.continueAsNew("second");
        return undefined;
      }
      const late: unknown = yield context.df.waitForExternalEvent("late");
      return { phase, late };
    });
    const id = await host.client.startNew("twoPhases", { input: "first" });
    await host.drain();
    const firstExecution = executionIdOf(host.history(id));
    // Both events land in one batch: "go" is consumed, "late" arrives after the continue-as-new decision.
    await host.client.raiseEvent(id, "go", null);
    await host.client.raiseEvent(id, "late", "carried over");
    const status = await host.waitForCompletion(id);
    expect(status.output).toEqual({ phase: "second", late: "carried over" });

    const history = host.history(id);
    expect(executionIdOf(history)).not.toBe(firstExecution);
    expect(history.slice(0, 4).map((event) => event.EventType)).toEqual([
      EventType.OrchestratorStarted,
      EventType.ExecutionStarted,
      EventType.EventRaised,
      EventType.OrchestratorCompleted,
    ]);
    expect(history[2]).toMatchObject({ Name: "late", Input: JSON.stringify("carried over") });
  });
});
