/**
 * Schedules in a time zone across the 2026 daylight saving changes (tz database rules; dates checked
 * with zdump): the job's one UTC timer fires at the times its `timerSchedule` names, exactly as the
 * Functions host would, and each firing is matched to its local slot. Every local slot must start exactly
 * once, at its local time; a local time that does not exist runs with the offset before the change and
 * one that occurs twice runs at its first occurrence (RFC 5545 §3.3.5).
 */
import { describe, expect, it } from "vitest";
import { parseJobDefinition } from "../../../src/jobs/definition";
import { nextOccurrences, nextSlots, parseJobSchedule, slotOfFiring, type JobSchedule } from "../../../src/jobs/schedule";
import { checkTimeZone, formatInZone, instantOf } from "../../../src/jobs/timeZone";

const STARTED = Date.parse("2026-12-05T00:00:00Z");

function zoned(cron: string, timeZone: string): JobSchedule {
  const parsed = parseJobSchedule(cron, timeZone, STARTED);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.schedule;
}

/** Every firing of the job's UTC timer in [from, to), and the local slots they start (each once, as run ids make it). */
function fire(schedule: JobSchedule, from: string, to: string): { firings: number; slots: string[] } {
  const end = Date.parse(to);
  const started = new Set<number>();
  let firings = 0;
  for (let at = new Date(Date.parse(from) - 1); ; ) {
    const [next] = nextOccurrences(schedule.timerSchedule, at, 1);
    if (!next || next.getTime() >= end) break;
    firings += 1;
    const slot = slotOfFiring(schedule, next, false);
    if (slot) started.add(slot.getTime());
    at = next;
  }
  return { firings, slots: [...started].sort((a, b) => a - b).map((instant) => formatInZone(schedule.timeZone, instant)) };
}

describe("a daily 02:30 schedule across the transitions: once a day, at the local time", () => {
  it("Europe/Berlin, spring forward on 29 March (02:00 → 03:00): 02:30 does not exist and runs at 03:30", () => {
    const schedule = zoned("30 2 * * *", "Europe/Berlin");
    expect(schedule.timerSchedule).toBe("0 30 0,1 * * *");
    expect(fire(schedule, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z").slots).toEqual([
      "2026-03-27T02:30:00+01:00",
      "2026-03-28T02:30:00+01:00",
      "2026-03-29T03:30:00+02:00",
      "2026-03-30T02:30:00+02:00",
    ]);
  });

  it("Europe/Berlin, fall back on 25 October (03:00 → 02:00): 02:30 occurs twice and runs at the first", () => {
    expect(fire(zoned("30 2 * * *", "Europe/Berlin"), "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z").slots).toEqual([
      "2026-10-24T02:30:00+02:00",
      "2026-10-25T02:30:00+02:00",
      "2026-10-26T02:30:00+01:00",
    ]);
  });

  it("America/New_York, spring forward on 8 March and fall back on 1 November", () => {
    const schedule = zoned("30 2 * * *", "America/New_York");
    expect(fire(schedule, "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z").slots).toEqual([
      "2026-03-07T02:30:00-05:00",
      "2026-03-08T03:30:00-04:00",
      "2026-03-09T02:30:00-04:00",
    ]);
    // 01:30 is the time that repeats in New York (02:00 EDT → 01:00 EST).
    expect(fire(zoned("30 1 * * *", "America/New_York"), "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z").slots).toEqual([
      "2026-10-31T01:30:00-04:00",
      "2026-11-01T01:30:00-04:00",
      "2026-11-02T01:30:00-05:00",
    ]);
  });

  it("Australia/Sydney, fall back on 5 April (03:00 → 02:00) and spring forward on 4 October (02:00 → 03:00)", () => {
    const schedule = zoned("30 2 * * *", "Australia/Sydney");
    expect(fire(schedule, "2026-04-03T00:00:00Z", "2026-04-06T00:00:00Z").slots).toEqual([
      "2026-04-04T02:30:00+11:00",
      "2026-04-05T02:30:00+11:00",
      "2026-04-06T02:30:00+10:00",
    ]);
    expect(fire(schedule, "2026-10-02T00:00:00Z", "2026-10-05T00:00:00Z").slots).toEqual([
      "2026-10-03T02:30:00+10:00",
      "2026-10-04T03:30:00+11:00",
      "2026-10-05T02:30:00+11:00",
    ]);
  });

  it("Asia/Kolkata (a half-hour offset, no DST): a timer at exactly the slots, weekdays only", () => {
    const schedule = zoned("0 9 * * 1-5", "Asia/Kolkata");
    expect(schedule.timerSchedule).toBe("0 30 3 * * *");
    const week = fire(schedule, "2026-03-27T00:00:00Z", "2026-04-03T00:00:00Z");
    expect(week.slots).toEqual([
      "2026-03-27T09:00:00+05:30",
      "2026-03-30T09:00:00+05:30",
      "2026-03-31T09:00:00+05:30",
      "2026-04-01T09:00:00+05:30",
      "2026-04-02T09:00:00+05:30",
    ]);
    // The weekend firings (the timer has no days) start nothing.
    expect(week.firings).toBe(7);
  });

  it("Asia/Tokyo (no DST): the same every day of the year", () => {
    const schedule = zoned("@daily", "Asia/Tokyo");
    expect(schedule.timerSchedule).toBe("0 0 15 * * *");
    expect(fire(schedule, "2026-03-27T00:00:00Z", "2026-03-30T00:00:00Z").slots).toEqual([
      "2026-03-28T00:00:00+09:00",
      "2026-03-29T00:00:00+09:00",
      "2026-03-30T00:00:00+09:00",
    ]);
  });
});

describe("schedules that fire more often than daily", () => {
  it("hourly in New York on the fall-back night: each local hour once, the repeated 01:00 at its first occurrence", () => {
    expect(fire(zoned("0 * * * *", "America/New_York"), "2026-11-01T03:00:00Z", "2026-11-01T09:00:00Z").slots).toEqual([
      "2026-10-31T23:00:00-04:00",
      "2026-11-01T00:00:00-04:00",
      "2026-11-01T01:00:00-04:00",
      "2026-11-01T02:00:00-05:00",
      "2026-11-01T03:00:00-05:00",
    ]);
  });

  it("every 15 minutes in Berlin over the spring gap: the missing times fall on existing ones, and no instant runs twice", () => {
    const { slots } = fire(zoned("*/15 * * * *", "Europe/Berlin"), "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z");
    expect(slots).toEqual(["2026-03-29T01:30:00+01:00", "2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00"]);
    expect(new Set(slots).size).toBe(slots.length);
  });
});

describe("slotOfFiring", () => {
  const schedule = zoned("0 9 * * 1-5", "Europe/Berlin");

  it("takes a firing a little early for its slot", () => {
    expect(slotOfFiring(schedule, new Date("2026-03-30T06:59:59.990Z"), false)?.toISOString()).toBe("2026-03-30T07:00:00.000Z");
  });

  it("after downtime (past due), catches up the latest local slot only", () => {
    expect(slotOfFiring(schedule, new Date("2026-03-30T13:17:00Z"), true)?.toISOString()).toBe("2026-03-30T07:00:00.000Z");
    expect(slotOfFiring(schedule, new Date("2026-03-30T13:17:00Z"), false)).toBeUndefined();
  });

  it("a firing of the UTC timer that is no local slot starts nothing", () => {
    // In summer 09:00 Berlin is 07:00 UTC; the 08:00 UTC firing is for winter.
    expect(slotOfFiring(schedule, new Date("2026-06-01T08:00:00Z"), false)).toBeUndefined();
    expect(slotOfFiring(schedule, new Date("2026-06-01T07:00:00Z"), false)?.toISOString()).toBe("2026-06-01T07:00:00.000Z");
  });

  it("leaves UTC schedules as they were", () => {
    const utc = parseJobSchedule("@daily", undefined, STARTED);
    expect(utc).toMatchObject({ ok: true, schedule: { timeZone: "UTC", timerSchedule: "0 0 0 * * *", utcOffsets: [] } });
    if (utc.ok) expect(nextSlots(utc.schedule, new Date("2026-03-01T12:00:00Z"), 1)[0]!.toISOString()).toBe("2026-03-02T00:00:00.000Z");
  });
});

describe("time zone names", () => {
  it("takes IANA names, spelled as the tz database does, and refuses the rest", () => {
    expect(checkTimeZone("europe/berlin")).toEqual({ ok: true, timeZone: "Europe/Berlin" });
    expect(checkTimeZone("Mars/Olympus_Mons")).toMatchObject({ ok: false, reason: expect.stringContaining("is not an IANA time zone name") });
    expect(checkTimeZone("+01:00")).toMatchObject({ ok: false, reason: expect.stringContaining("is an offset, not a time zone") });
  });

  it("refuses a bad zone or cron at startup naming the job and the field", () => {
    const parsed = parseJobDefinition({ id: "report", schedule: { cron: "0 9 * * 1-5", timeZone: "Europe/Berlln" }, container: { image: "busybox" } }, "report");
    expect(parsed).toEqual({ ok: false, problems: [expect.stringMatching(/^job "report", field schedule\.timeZone: "Europe\/Berlln" is not an IANA time zone name/u)] });
    const badCron = parseJobDefinition({ id: "report", schedule: { cron: "0 25 * * *", timeZone: "Europe/Berlin" }, container: { image: "busybox" } }, "report");
    expect(badCron).toMatchObject({ ok: false, problems: [expect.stringMatching(/^job "report", field schedule\.cron: /u)] });
    const unknownKey = parseJobDefinition({ id: "report", schedule: { cron: "@daily", timeZone: "UTC", tz: "x" }, container: { image: "busybox" } }, "report");
    expect(unknownKey.ok).toBe(false);
  });

  it("reads a local time that does not exist with the offset before the change, and one that occurs twice as its first instant", () => {
    expect(new Date(instantOf("Europe/Berlin", Date.parse("2026-03-29T02:30:00Z"))).toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(new Date(instantOf("Europe/Berlin", Date.parse("2026-10-25T02:30:00Z"))).toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });
});
