import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { systemClock, VirtualClock } from "../../dev/clock";
import { DurableHost, EventType, type HistoryEvent, type HostLogRecord } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");

function scheduling(history: HistoryEvent[]): string[] {
  return history
    .filter((event) => event.EventId >= 0)
    .map((event) => `${event.EventId}:${event.EventType === EventType.TaskScheduled ? (event as unknown as { Name: string }).Name : event.EventType}`);
}

describe("DurableHost scheduling", () => {
  it("numbers retry timers and re-attempts inside Task.all in the order the events arrive", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    let tokyoCalls = 0;
    host.registerActivity("hello", async (city) => {
      if (city === "Tokyo" && ++tokyoCalls === 1) throw new Error("transient");
      return `Hello, ${String(city)}!`;
    });
    host.registerOrchestrator("fanOut", function* (context) {
      const retry = new df.RetryOptions(1000, 2);
      return yield context.df.Task.all([
        context.df.callActivityWithRetry("hello", retry, "Tokyo"),
        context.df.callActivityWithRetry("hello", retry, "Seattle"),
      ]);
    });
    const id = await host.client.startNew("fanOut");
    expect((await host.waitForCompletion(id)).output).toEqual(["Hello, Tokyo!", "Hello, Seattle!"]);
    // Same numbering as durable-functions' GetSayHelloWithActivityRetryFanout history.
    expect(scheduling(host.history(id))).toEqual(["0:hello", "1:hello", `2:${EventType.TimerCreated}`, "3:hello", `4:${EventType.ExecutionCompleted}`]);
  });

  it("holds later actions until every Task.all child is done, as the extension's WhenAll does", async () => {
    const logs: HostLogRecord[] = [];
    const host = new DurableHost({ clock: new VirtualClock(T0), log: (line) => logs.push(line) });
    let releaseSlow: () => void = () => {};
    const slowDone = new Promise<void>((resolve) => (releaseSlow = resolve));
    host.registerActivity("fails", async () => {
      throw new Error("fast failure");
    });
    host.registerActivity("slow", async () => {
      await slowDone;
      return "slow";
    });
    host.registerActivity("cleanup", async () => "cleaned");
    host.registerOrchestrator("failFast", function* (context) {
      try {
        yield context.df.Task.all([context.df.callActivity("fails"), context.df.callActivity("slow")]);
        return "unexpected";
      } catch {
        return yield context.df.callActivity("cleanup");
      }
    });
    const id = await host.client.startNew("failFast");
    for (let attempt = 0; attempt < 1000 && !logs.some((line) => line.category === "host"); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The library moved on after the first failure; the extension still awaits "slow".
    expect(scheduling(host.history(id))).toEqual(["0:fails", "1:slow"]);
    expect(logs.some((line) => line.category === "host" && line.message.includes("still awaiting action #0"))).toBe(true);
    releaseSlow();
    expect((await host.waitForCompletion(id)).output).toBe("cleaned");
    expect(scheduling(host.history(id))).toEqual(["0:fails", "1:slow", "2:cleanup", `3:${EventType.ExecutionCompleted}`]);
  });

  it("handles nested compound actions (Task.all inside Task.any)", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    host.registerActivity("upper", async (text) => String(text).toUpperCase());
    host.registerOrchestrator("nested", function* (context) {
      const both = context.df.Task.all([context.df.callActivity("upper", "a"), context.df.callActivity("upper", "b")]);
      const deadline = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 3_600_000));
      const winner: unknown = yield context.df.Task.any([both, deadline]);
      if (winner === both) deadline.cancel();
      return winner === both ? both.result : "timeout";
    });
    const id = await host.client.startNew("nested");
    expect((await host.waitForCompletion(id)).output).toEqual(["A", "B"]);
    expect(scheduling(host.history(id))).toEqual(["0:upper", "1:upper", `2:${EventType.TimerCreated}`, `3:${EventType.ExecutionCompleted}`]);
    expect(clock.now()).toBe(T0);
  });

  it("gives a raised event to the most recent waiter, as the extension and the library both do", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    host.registerOrchestrator("loop", function* (context) {
      const received: unknown[] = [];
      for (let round = 0; round < 2; round += 1) {
        const timeout = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
        const event = context.df.waitForExternalEvent("ping");
        const winner: unknown = yield context.df.Task.any([event, timeout]);
        if (winner === event) {
          timeout.cancel();
          received.push(event.result);
        }
      }
      received.push(yield context.df.waitForExternalEvent("ping"));
      return received;
    });
    const id = await host.client.startNew("loop");
    await host.drain(); // both rounds time out; the abandoned waits stay registered
    await host.client.raiseEvent(id, "ping", "late ping");
    expect((await host.waitForCompletion(id)).output).toEqual(["late ping"]);
  });

  it("fires timers in real time on the system clock, in whole seconds as the Azure Storage provider does", async () => {
    const host = new DurableHost({ clock: systemClock });
    host.registerOrchestrator("shortNap", function* (context) {
      const start = context.df.currentUtcDateTime.getTime();
      yield context.df.createTimer(new Date(start + 1_500));
      return context.df.currentUtcDateTime.getTime() - start;
    });
    const id = await host.client.startNew("shortNap");
    const status = await host.waitForCompletion(id, { timeoutMs: 10_000 });
    // The queue message's visibility delay is truncated to whole seconds: 1.5 s wakes the orchestration after 1 s.
    expect(status.output).toBeGreaterThanOrEqual(1_000);
    expect(status.output).toBeLessThan(1_500);
  });

  it("fails an instance that exceeds maxEpisodesPerInstance instead of looping forever", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0), maxEpisodesPerInstance: 20 });
    host.registerOrchestrator("forever", function* (context) {
      for (;;) yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
    });
    const status = await host.waitForCompletion(await host.client.startNew("forever"));
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toContain("after 20 episodes (maxEpisodesPerInstance)");
  });

  it("fails the task of an activity that is not registered, and forwards activity logs", async () => {
    const logs: HostLogRecord[] = [];
    const host = new DurableHost({ clock: new VirtualClock(T0), log: (line) => logs.push(line) });
    host.registerActivity("talk", async (_input, context) => {
      context.warn("from the activity");
      return null;
    });
    host.registerOrchestrator("missing", function* (context) {
      yield context.df.callActivity("talk");
      try {
        yield context.df.callActivity("doesNotExist");
        return "unexpected";
      } catch (error) {
        return (error as Error).message.split("\n")[0];
      }
    });
    const id = await host.client.startNew("missing");
    const status = await host.waitForCompletion(id);
    expect(status.output).toContain("The function 'doesNotExist' doesn't exist, is disabled, or is not an activity function.");
    expect(logs.find((line) => line.functionName === "talk")).toMatchObject({
      level: "warning",
      category: "function",
      functionKind: "activity",
      instanceId: id,
      message: "from the activity",
    });
  });

  it("reports a stuck child when the parent waits on it", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    host.registerOrchestrator("child", function* (context) {
      return yield context.df.waitForExternalEvent("go");
    });
    host.registerOrchestrator("parent", function* (context) {
      return yield context.df.callSubOrchestrator("child", null, "the-child");
    });
    const id = await host.client.startNew("parent");
    await expect(host.waitForCompletion(id)).rejects.toThrow(/sub-orchestration.*'the-child'.*'go'/);
    await host.client.raiseEvent("the-child", "go", "went");
    expect((await host.waitForCompletion(id)).output).toBe("went");
  });
});
