import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost, EventType, type HistoryEvent, type HostLogRecord } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");

/** Polls (real time) until `condition` holds, for states reached while an activity is still running. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 1000 && !(await condition()); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
}

function shape(history: HistoryEvent[]): string[] {
  return history.map((event) => `${event.EventType}/${event.EventId}`);
}

describe("DurableHost: activity sequence", () => {
  it("runs activities in order and writes the history the extension writes", async () => {
    const logs: HostLogRecord[] = [];
    const host = new DurableHost({ clock: new VirtualClock(T0), log: (line) => logs.push(line) });
    host.registerActivity("hello", async (input) => `Hello ${String(input)}!`);
    host.registerOrchestrator("greet", function* (context) {
      const first: string = yield context.df.callActivity("hello", "Tokyo");
      context.log(`got ${first}`);
      const second: string = yield context.df.callActivity("hello", { city: "Seattle" });
      return [first, second];
    });

    const id = await host.client.startNew("greet", { input: { who: "me" } });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const status = await host.waitForCompletion(id);

    expect(status.runtimeStatus).toBe(df.OrchestrationRuntimeStatus.Completed);
    expect(status.output).toEqual(["Hello Tokyo!", "Hello [object Object]!"]);
    expect(status.input).toEqual({ who: "me" });

    const history = host.history(id);
    expect(shape(history)).toEqual([
      "12/-1", "0/-1", "4/0", "13/-1", // episode 1: start, schedule hello#0
      "12/-1", "5/-1", "4/1", "13/-1", // episode 2: hello#0 done, schedule hello#1
      "12/-1", "5/-1", "1/2", "13/-1", // episode 3: hello#1 done, ExecutionCompleted takes the next sequence number
    ]);
    const started = history[1] as unknown as Record<string, unknown>;
    expect(started).toMatchObject({ Name: "greet", Input: JSON.stringify({ who: "me" }), ParentInstance: null });
    expect(started.OrchestrationInstance).toEqual({ InstanceId: id, ExecutionId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    // DurableTask.Core serializes the ScheduleTask parameter array; string inputs were encoded once more by the library.
    expect(history[2]).toMatchObject({ Name: "hello", Version: "", Input: JSON.stringify([JSON.stringify("Tokyo")]) });
    expect(history[5]).toMatchObject({ TaskScheduledId: 0, Result: JSON.stringify("Hello Tokyo!") });
    expect(history[10]).toMatchObject({ OrchestrationStatus: 1, Result: JSON.stringify(["Hello Tokyo!", "Hello [object Object]!"]) });
    // As the Azure Storage provider keeps them (measured by test/conformance): what an episode was given is
    // played on later replays, except its OrchestratorStarted; what it wrote stays IsPlayed false.
    expect(history.map((event) => event.IsPlayed)).toEqual([false, true, false, false, false, true, false, false, false, true, false, false]);

    // The worker forwards orchestrator logs on every replay; context.df.isReplaying tells them apart.
    const orchestratorLines = logs.filter((line) => line.category === "function" && line.functionName === "greet");
    expect(orchestratorLines.map((line) => [line.message, line.isReplaying])).toEqual([
      ["got Hello Tokyo!", false],
      ["got Hello Tokyo!", true],
    ]);
    expect(host.stats().instances[0]).toMatchObject({ episodes: 3, activityCalls: 2, maxHistoryLength: 12 });
  });

  it("reports isReplaying = true while old events are replayed and false for new ones", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    const seen: boolean[][] = [];
    host.registerActivity("step", async (n) => n);
    host.registerOrchestrator("replays", function* (context) {
      const flags: boolean[] = [context.df.isReplaying];
      yield context.df.callActivity("step", 1);
      flags.push(context.df.isReplaying);
      yield context.df.callActivity("step", 2);
      flags.push(context.df.isReplaying);
      seen.push(flags);
      return flags;
    });
    const id = await host.client.startNew("replays");
    await host.waitForCompletion(id);
    // Each episode replays from the start; only the last step of the final episode is new.
    expect(seen.at(-1)).toEqual([true, true, false]);
  });

  it("delivers activity inputs as the extension converts them: booleans as text, null as nothing", async () => {
    const host = new DurableHost({ clock: new VirtualClock(Date.parse("2025-01-01T00:00:00Z")) });
    const seen: unknown[] = [];
    host.registerActivity("record", async (input: unknown) => {
      seen.push(input);
      return null;
    });
    const inputs: unknown[] = [true, false, null, 5, 1.5, "text", "true", [1, "a"], { a: 1 }];
    host.registerOrchestrator("sendAll", function* (context) {
      for (const input of inputs) yield context.df.callActivity("record", input);
    });
    await host.waitForCompletion(await host.client.startNew("sendAll"));
    // Measured on the real extension (test/conformance): the input is bound as a .NET string, so JSON
    // scalars go through JValue.ToObject<string>.
    expect(seen).toEqual(["True", "False", undefined, 5, 1.5, "text", "true", [1, "a"], { a: 1 }]);
  });

  it("makes custom status visible after the episode that set it", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    host.registerActivity("slow", async () => gate);
    host.registerOrchestrator("withStatus", function* (context) {
      context.df.setCustomStatus({ phase: "waiting" });
      yield context.df.callActivity("slow");
      context.df.setCustomStatus({ phase: "done" });
      return "ok";
    });
    const id = await host.client.startNew("withStatus");
    expect((await host.client.getStatus(id)).customStatus).toBeNull(); // Pending: no episode yet
    await until(async () => (await host.client.getStatus(id)).customStatus !== null);
    const running = await host.client.getStatus(id);
    expect(running.runtimeStatus).toBe("Running");
    expect(running.customStatus).toEqual({ phase: "waiting" });
    release();
    const done = await host.waitForCompletion(id);
    expect(done.customStatus).toEqual({ phase: "done" });
    expect(host.history(id).filter((event) => event.EventType === EventType.TaskScheduled)).toHaveLength(1);
  });
});
