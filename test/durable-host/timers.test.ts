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
    host.registerOrchestrator("napTwoAndAHalf", function* (context) {
      const fireAt = context.df.currentUtcDateTime.getTime() + 2_500;
      yield context.df.createTimer(new Date(fireAt));
      return { fireAt: new Date(fireAt).toISOString(), woke: context.df.currentUtcDateTime.toISOString() };
    });
    const id = await host.client.startNew("napTwoAndAHalf");
    const status = await host.waitForCompletion(id);
    // The TimerFired still names 2.5 s; the orchestration is woken at 2 s, before it.
    expect(status.output).toEqual({ fireAt: iso(2_500), woke: iso(2_000) });
    expect(host.history(id).find((event) => event.EventType === EventType.TimerFired)).toMatchObject({ FireAt: iso(2_500) });
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
    expect(status.output).toEqual({ before: iso(0), after: iso(DAY) });
    expect(clock.now()).toBe(T0 + DAY);
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
    expect(status.output).toEqual({ result: "done", at: iso(10 * DAY) });
    const history = host.history(id);
    expect(timerEvents(history, EventType.TimerCreated)).toEqual([
      { id: 0, fireAt: iso(3 * DAY) },
      { id: 1, fireAt: iso(6 * DAY) },
      { id: 2, fireAt: iso(9 * DAY) },
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
    expect((await host.waitForCompletion(id)).output).toBe(`timed out at ${iso(30 * 60_000)}`);
  });
});
