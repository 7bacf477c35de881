import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost, EventType, type HistoryEvent } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(T0 + ms).toISOString();

function timerEvents(history: HistoryEvent[], type: number): { id: number; fireAt: string; timerId?: number }[] {
  return history
    .filter((event) => event.EventType === type)
    .map((event) => {
      const fields = event as unknown as { FireAt: string; TimerId?: number };
      return { id: event.EventId, fireAt: fields.FireAt, ...(fields.TimerId !== undefined ? { timerId: fields.TimerId } : {}) };
    });
}

describe("DurableHost: durable timers and virtual time", () => {
  it("completes a timer up to a second early, as the Azure Storage provider's whole-second queue visibility does", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    host.registerOrchestrator("napThreePointNine", function* (context) {
      const fireAt = context.df.currentUtcDateTime.getTime() + 3_900;
      yield context.df.createTimer(new Date(fireAt));
      return { fireAt: new Date(fireAt).toISOString(), woke: context.df.currentUtcDateTime.toISOString() };
    });
    const id = await host.client.startNew("napThreePointNine");
    const status = await host.waitForCompletion(id);
    // The message is visible after 3 s (whole seconds), and the queue's poll at 3.5 s finds it: before 3.9 s.
    expect(status.output).toEqual({ fireAt: iso(3_900), woke: iso(3_500) });
    expect(host.history(id).find((event) => event.EventType === EventType.TimerFired)).toMatchObject({ FireAt: iso(3_900) });
  });

  it("delivers a timer at its control queue's next poll: the backoff restarts at 50 ms when the timer is sent and grows to maxQueuePollingInterval", async () => {
    const woke = async (delayMs: number, maxQueuePollingIntervalMs?: number): Promise<number> => {
      const host = new DurableHost({ clock: new VirtualClock(T0), ...(maxQueuePollingIntervalMs ? { maxQueuePollingIntervalMs } : {}) });
      host.registerOrchestrator("nap", function* (context) {
        yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + delayMs));
        return context.df.currentUtcDateTime.getTime() - T0;
      });
      return (await host.waitForCompletion(await host.client.startNew("nap"))).output as number;
    };
    // Polls after the reset: 0, 0.05, 0.15, 0.3, 0.55, 1, 1.85, 3.5, 6.75, 13.2 s, then every maximum.
    expect(await woke(2_000, 10_000)).toBe(3_500);
    expect(await woke(10_000, 10_000)).toBe(13_200); // measured on the real extension: 2.4-3.3 s late
    expect(await woke(60_000, 10_000)).toBe(63_200);
    expect(await woke(60_000, 1_000)).toBe(60_850);
    // Without host.json's setting, the provider's 30 s: 13.2, 26.05, 51.7, then every 30 s.
    expect(await woke(60_000)).toBe(81_700);
  });

  it("finishes a 24-hour wait at once on a VirtualClock, with currentUtcDateTime moved by 24 hours", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    host.registerOrchestrator("sleepADay", function* (context) {
      const before = context.df.currentUtcDateTime.toISOString();
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + DAY));
      return { before, after: context.df.currentUtcDateTime.toISOString() };
    });
    const id = await host.client.startNew("sleepADay");
    const status = await host.waitForCompletion(id);
    // Picked up at the control queue's next poll, every 30 s by then (the provider's default maximum).
    expect(status.output).toEqual({ before: iso(0), after: iso(DAY + 21_700) });
    expect(clock.now()).toBe(T0 + DAY + 21_700);
    expect(timerEvents(host.history(id), EventType.TimerCreated)).toEqual([{ id: 0, fireAt: iso(DAY) }]);
    // TimerFired carries the TimerCreated's id and time; DurableTask.Core stamps it when the timer is created.
    const fired = host.history(id).find((event) => event.EventType === EventType.TimerFired);
    expect(fired).toMatchObject({ EventId: -1, TimerId: 0, FireAt: iso(DAY), Timestamp: iso(0) });
  });

  it("splits a timer longer than six days into 3-day intervals, like the extension's long-timer loop", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    host.registerActivity("afterwards", async () => "done");
    host.registerOrchestrator("waitTenDays", function* (context) {
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 10 * DAY));
      const result: string = yield context.df.callActivity("afterwards");
      return { result, at: context.df.currentUtcDateTime.toISOString() };
    });
    const id = await host.client.startNew("waitTenDays");
    const status = await host.waitForCompletion(id);
    // The last piece is picked up at the control queue's next poll after its fire time (30 s apart by then).
    expect(status.output).toEqual({ result: "done", at: iso(10 * DAY + 26_800) });
    const history = host.history(id);
    // Each piece runs from the time the previous one was picked up (21.7 s after its fire time, at the queue's
    // 30 s polling), as durable-functions' long-timer loop computes it; the last one ends at the time asked for.
    expect(timerEvents(history, EventType.TimerCreated)).toEqual([
      { id: 0, fireAt: iso(3 * DAY) },
      { id: 1, fireAt: iso(6 * DAY + 21_700) },
      { id: 2, fireAt: iso(9 * DAY + 43_400) },
      { id: 3, fireAt: iso(10 * DAY) }, // the remainder, shorter than an interval
    ]);
    expect(history.find((event) => event.EventType === EventType.TaskScheduled)?.EventId).toBe(4);
  });

  it("completes without waiting for a timer that lost a Task.any and was cancelled", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    host.registerActivity("quick", async () => "fast result");
    host.registerOrchestrator("raceTimer", function* (context) {
      const deadline = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + HOUR));
      const work = context.df.callActivity("quick");
      const winner: unknown = yield context.df.Task.any([work, deadline]);
      if (winner === work) deadline.cancel();
      return winner === work ? work.result : "timed out";
    });
    const id = await host.client.startNew("raceTimer");
    const status = await host.waitForCompletion(id);
    expect(status.output).toBe("fast result");
    expect(clock.now()).toBe(T0); // virtual time never moved to the cancelled timer
    const history = host.history(id);
    expect(timerEvents(history, EventType.TimerCreated)).toEqual([{ id: 1, fireAt: iso(HOUR) }]); // Task.any lists the activity (0) first
    expect(timerEvents(history, EventType.TimerFired)).toEqual([]);
    expect(history.at(-2)).toMatchObject({ EventType: EventType.ExecutionCompleted, EventId: 2 });
  });

  it("lets the timer win a Task.any when the other task is slower", async () => {
    const clock = new VirtualClock(T0);
    const host = new DurableHost({ clock });
    host.registerOrchestrator("eventOrTimeout", function* (context) {
      const deadline = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 30 * 60_000));
      const approval = context.df.waitForExternalEvent("approval");
      const winner: unknown = yield context.df.Task.any([approval, deadline]);
      return winner === deadline ? `timed out at ${context.df.currentUtcDateTime.toISOString()}` : "approved";
    });
    const id = await host.client.startNew("eventOrTimeout");
    expect((await host.waitForCompletion(id)).output).toBe(`timed out at ${iso(30 * 60_000 + 21_700)}`);
  });
});
