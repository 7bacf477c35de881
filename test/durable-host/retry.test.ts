import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost, type HistoryEvent } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** Event type, EventId and the link/time fields that matter for retries, one string per event. */
function describeEvents(history: HistoryEvent[]): string[] {
  return history.map((event) => {
    const fields = event as unknown as Record<string, unknown>;
    const link = fields.TaskScheduledId ?? fields.TimerId;
    const fireAt = typeof fields.FireAt === "string" ? ` ${fields.FireAt}` : "";
    const started = event.EventType === 12 ? ` ${event.Timestamp}` : "";
    return `${event.EventType}/${event.EventId}${link !== undefined ? ` ->${String(link)}` : ""}${fireAt}${started}`;
  });
}

function flakyActivity(failures: number): { calls: number; handler: (input: unknown) => Promise<string> } {
  const state = { calls: 0, handler: async (input: unknown): Promise<string> => {
    state.calls += 1;
    if (state.calls <= failures) throw new Error(`attempt ${state.calls} failed`);
    return `ok ${String(input)} on attempt ${state.calls}`;
  } };
  return state;
}

describe("DurableHost: callActivityWithRetry, retried by the extension", () => {
  it("succeeds on the second attempt with a TaskFailed, a timer pair and a new TaskScheduled", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    const flaky = flakyActivity(1);
    host.registerActivity("flaky", flaky.handler);
    host.registerOrchestrator("retryOnce", function* (context) {
      const options = new df.RetryOptions(5000, 3);
      options.backoffCoefficient = 2;
      return yield context.df.callActivityWithRetry("flaky", options, "x");
    });

    const id = await host.client.startNew("retryOnce");
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe("ok x on attempt 2");
    expect(describeEvents(host.history(id))).toEqual([
      `12/-1 ${at(0)}`, "0/-1", "4/0", "13/-1",
      `12/-1 ${at(0)}`, "6/-1 ->0", `10/1 ${at(5000)}`, "13/-1", // failure time + first interval
      // Picked up at the control queue's poll after 5 s: 6.75 s on the backoff the timer's message restarted.
      `12/-1 ${at(6750)}`, `11/-1 ->1 ${at(5000)}`, "4/2", "13/-1",
      `12/-1 ${at(6750)}`, "5/-1 ->2", "1/3", "13/-1",
    ]);
    const failed = host.history(id)[5] as unknown as Record<string, unknown>;
    expect(failed.Reason).toBe("Activity function 'flaky' failed: attempt 1 failed");
    expect(String(failed.Details)).toContain("Error: attempt 1 failed");
  });

  it("writes a timer pair after every failure, the last one included, then fails with the last error", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    const flaky = flakyActivity(10);
    host.registerActivity("flaky", flaky.handler);
    host.registerOrchestrator("retryThrice", function* (context) {
      const options = new df.RetryOptions(1000, 3);
      options.backoffCoefficient = 2;
      options.maxRetryIntervalInMilliseconds = 3000;
      return yield context.df.callActivityWithRetry("flaky", options);
    });

    const id = await host.client.startNew("retryThrice");
    const status = await host.waitForCompletion(id);
    expect(flaky.calls).toBe(3);
    expect(status.runtimeStatus).toBe(df.OrchestrationRuntimeStatus.Failed);
    expect(status.output).toEqual(expect.stringContaining("Orchestrator function 'retryThrice' failed: Activity function 'flaky' failed: attempt 3 failed"));
    expect(describeEvents(host.history(id))).toEqual([
      `12/-1 ${at(0)}`, "0/-1", "4/0", "13/-1",
      `12/-1 ${at(0)}`, "6/-1 ->0", `10/1 ${at(1000)}`, "13/-1", // 1000 × 2^0
      `12/-1 ${at(1000)}`, `11/-1 ->1 ${at(1000)}`, "4/2", "13/-1",
      `12/-1 ${at(1000)}`, "6/-1 ->2", `10/3 ${at(3000)}`, "13/-1", // 1000 × 2^1
      // Each timer is picked up at its queue's next poll: 2 s after the reset comes at 3.5 s, so 4.5 s.
      `12/-1 ${at(4500)}`, `11/-1 ->3 ${at(3000)}`, "4/4", "13/-1",
      `12/-1 ${at(4500)}`, "6/-1 ->4", `10/5 ${at(7500)}`, "13/-1", // 1000 × 2^2 = 4000, capped at 3000
      `12/-1 ${at(8000)}`, `11/-1 ->5 ${at(7500)}`, "1/6", "13/-1", // only now does the library throw
    ]);
    const completed = host.history(id)[26] as unknown as Record<string, unknown>;
    expect(completed.OrchestrationStatus).toBe(3);
  });

  it("continues the sequence numbers after a caught retry failure", async () => {
    const host = new DurableHost({ clock: new VirtualClock(T0) });
    host.registerActivity("flaky", flakyActivity(10).handler);
    host.registerActivity("fallback", async () => "fallback");
    host.registerOrchestrator("retryThenFallback", function* (context) {
      try {
        return yield context.df.callActivityWithRetry("flaky", new df.RetryOptions(1000, 2));
      } catch (error) {
        context.log(`caught: ${(error as Error).message.split("\n")[0]}`);
        return yield context.df.callActivity("fallback");
      }
    });
    const id = await host.client.startNew("retryThenFallback");
    expect((await host.waitForCompletion(id)).output).toBe("fallback");
    const scheduled = host.history(id).filter((event) => event.EventType === 4);
    expect(scheduled.map((event) => [event.EventId, (event as unknown as { Name: string }).Name])).toEqual([
      [0, "flaky"],
      [2, "flaky"],
      [4, "fallback"], // after TaskScheduled 0, timer 1, TaskScheduled 2, timer 3
    ]);
  });

  it("stops retrying without a timer once retryTimeoutInMilliseconds has passed, as the extension does", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    host.registerActivity("slowFailure", async () => {
      clock.advanceBy(2000); // the attempt itself takes 2 s of orchestration time
      throw new Error("still failing");
    });
    host.registerOrchestrator("retryWithTimeout", function* (context) {
      const options = new df.RetryOptions(1000, 5);
      options.retryTimeoutInMilliseconds = 1500;
      return yield context.df.callActivityWithRetry("slowFailure", options);
    });
    const id = await host.client.startNew("retryWithTimeout");
    // The extension gives up silently (no timer); durable-functions keeps waiting for the retry.
    await expect(host.waitForCompletion(id)).rejects.toThrow(/cannot make progress.*retryTimeoutInMilliseconds/);
    expect(describeEvents(host.history(id)).slice(4)).toEqual([`12/-1 ${at(2000)}`, "6/-1 ->0", "13/-1"]);
  });
});
