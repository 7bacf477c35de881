import { describe, expect, it } from "vitest";
import { nextOccurrences, scheduleSlot, toNcrontab } from "../../../src/jobs/schedule";

const iso = (dates: readonly Date[]) => dates.map((d) => d.toISOString());

describe("toNcrontab", () => {
  it("maps Airflow's presets to NCRONTAB with seconds first", () => {
    expect(toNcrontab("@daily")).toEqual({ ok: true, ncrontab: "0 0 0 * * *" });
    expect(toNcrontab("@midnight")).toEqual({ ok: true, ncrontab: "0 0 0 * * *" });
    expect(toNcrontab("@hourly")).toEqual({ ok: true, ncrontab: "0 0 * * * *" });
    expect(toNcrontab("@weekly")).toEqual({ ok: true, ncrontab: "0 0 0 * * 0" });
    expect(toNcrontab("@monthly")).toEqual({ ok: true, ncrontab: "0 0 0 1 * *" });
    expect(toNcrontab("@quarterly")).toEqual({ ok: true, ncrontab: "0 0 0 1 1,4,7,10 *" });
    expect(toNcrontab("@yearly")).toEqual({ ok: true, ncrontab: "0 0 0 1 1 *" });
    expect(toNcrontab("@annually")).toEqual({ ok: true, ncrontab: "0 0 0 1 1 *" });
  });

  it("adds a zero seconds field to a 5-field cron and keeps a 6-field NCRONTAB as is", () => {
    expect(toNcrontab("*/15 * * * *")).toEqual({ ok: true, ncrontab: "0 */15 * * * *" });
    expect(toNcrontab("30 */5 * * * 1-5")).toEqual({ ok: true, ncrontab: "30 */5 * * * 1-5" });
  });

  it("trims the expression and joins fields with single spaces", () => {
    expect(toNcrontab("  0   6 * * *  ")).toEqual({ ok: true, ncrontab: "0 0 6 * * *" });
    expect(toNcrontab(" @daily ")).toEqual({ ok: true, ncrontab: "0 0 0 * * *" });
  });

  it("accepts three-letter month and day names", () => {
    expect(toNcrontab("0 9 * JAN-MAR MON-FRI")).toEqual({ ok: true, ncrontab: "0 0 9 * JAN-MAR MON-FRI" });
  });

  it("rejects an unknown preset and lists the known ones", () => {
    const result = toNcrontab("@every 5m");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe(
      'unknown preset "@every 5m"; use one of @hourly, @daily, @midnight, @weekly, @monthly, @quarterly, @yearly, @annually',
    );
  });

  it("rejects a wrong number of fields", () => {
    expect(toNcrontab("* * * *")).toEqual({ ok: false, reason: '"* * * *" has 4 fields; write 6 (NCRONTAB, seconds first) or 5 (cron)' });
    expect(toNcrontab("0 0 0 * * * 2026")).toMatchObject({ ok: false });
  });

  it("rejects cron syntax the Functions host's NCRONTAB does not support (L, #, ?, H)", () => {
    for (const expression of ["0 0 L * *", "0 0 * * 1#2", "0 0 ? * *", "H 0 * * *"]) {
      expect(toNcrontab(expression), expression).toMatchObject({ ok: false, reason: expect.stringContaining("uses syntax NCRONTAB does not support") });
    }
  });

  it("rejects values out of range and impossible dates", () => {
    expect(toNcrontab("0 24 * * *")).toMatchObject({ ok: false, reason: expect.stringMatching(/^"0 24 \* \* \*" is not a valid schedule: /u) });
    expect(toNcrontab("0 0 32 * *")).toMatchObject({ ok: false });
    expect(toNcrontab("0 0 30 2 *")).toMatchObject({ ok: false });
  });
});

describe("nextOccurrences", () => {
  it("gives the next midnights (UTC) of a daily schedule", () => {
    expect(iso(nextOccurrences("0 0 0 * * *", new Date("2026-03-01T12:34:56Z"), 3))).toEqual([
      "2026-03-02T00:00:00.000Z",
      "2026-03-03T00:00:00.000Z",
      "2026-03-04T00:00:00.000Z",
    ]);
  });

  it("starts strictly after the given time, also when that time is an occurrence", () => {
    expect(iso(nextOccurrences("0 0 0 * * *", new Date("2026-03-01T00:00:00Z"), 1))).toEqual(["2026-03-02T00:00:00.000Z"]);
  });

  it("honours the seconds field", () => {
    expect(iso(nextOccurrences("30 */5 * * * *", new Date("2026-03-01T00:00:00Z"), 2))).toEqual([
      "2026-03-01T00:00:30.000Z",
      "2026-03-01T00:05:30.000Z",
    ]);
  });
});

describe("scheduleSlot", () => {
  it("maps an on-time firing to its own occurrence, also a few milliseconds late", () => {
    for (const firedAt of ["2026-03-02T00:00:00.000Z", "2026-03-02T00:00:00.250Z", "2026-03-02T00:00:01.000Z"]) {
      expect(scheduleSlot("0 0 0 * * *", new Date(firedAt)).toISOString(), firedAt).toBe("2026-03-02T00:00:00.000Z");
    }
  });

  it("maps a past-due firing after downtime to the latest slot only (catchup=False)", () => {
    expect(scheduleSlot("0 0 0 * * *", new Date("2026-03-05T13:00:00Z")).toISOString()).toBe("2026-03-05T00:00:00.000Z");
  });

  it("maps a firing a few milliseconds before midnight to that midnight's slot: timers can fire early", () => {
    expect(scheduleSlot("0 0 0 * * *", new Date("2026-03-01T23:59:59.995Z")).toISOString()).toBe("2026-03-02T00:00:00.000Z");
  });

  it("maps a firing more than a minute before the next occurrence to the previous slot", () => {
    expect(scheduleSlot("0 0 0 * * *", new Date("2026-03-01T23:58:59.000Z")).toISOString()).toBe("2026-03-01T00:00:00.000Z");
  });

  it("works to the second for schedules with a seconds field", () => {
    expect(scheduleSlot("*/10 * * * * *", new Date("2026-03-01T00:00:10.000Z")).toISOString()).toBe("2026-03-01T00:00:10.000Z");
    expect(scheduleSlot("*/10 * * * * *", new Date("2026-03-01T00:00:14.999Z")).toISOString()).toBe("2026-03-01T00:00:10.000Z");
    // Early by less than half the 10-second period: that firing is for 00:00:20.
    expect(scheduleSlot("*/10 * * * * *", new Date("2026-03-01T00:00:19.999Z")).toISOString()).toBe("2026-03-01T00:00:20.000Z");
  });
});

// What the Functions host's NCrontab does differently from Vixie cron; ncrontabGolden.test.ts checks these
// and many more against the real library.
describe("NCrontab semantics", () => {
  it("runs only on days that match both day of month and day of week (a 6-field NCRONTAB)", () => {
    expect(toNcrontab("0 0 0 13 * FRI")).toEqual({ ok: true, ncrontab: "0 0 0 13 * FRI" });
    expect(iso(nextOccurrences("0 0 0 13 * FRI", new Date("2026-01-01T00:00:00Z"), 2))).toEqual([
      "2026-02-13T00:00:00.000Z",
      "2026-03-13T00:00:00.000Z",
    ]);
  });

  it("refuses a 5-field cron restricting both days, which cron and the host read differently", () => {
    expect(toNcrontab("0 9 1-7 * 1")).toEqual({
      ok: false,
      reason:
        '"0 9 1-7 * 1" restricts both day of month and day of week: cron runs on days that match either, ' +
        'the Functions host only on days that match both. If both is meant, write the 6-field "0 0 9 1-7 * 1"',
    });
    expect(toNcrontab("0 0 9 1-7 * 1")).toEqual({ ok: true, ncrontab: "0 0 9 1-7 * 1" });
  });

  it("refuses day of week 7 and says how to write Sunday", () => {
    expect(toNcrontab("0 0 * * 7")).toEqual({
      ok: false,
      reason: '"0 0 * * 7" is not a valid schedule: 7 is out of range for the day-of-week field (0-6); Sunday is 0 or SUN',
    });
  });

  it("refuses a range that runs backwards, which NCrontab would swap, and shows the wrapping form", () => {
    expect(toNcrontab("0 22-2 * * *")).toEqual({
      ok: false,
      reason: '"0 22-2 * * *" is not a valid schedule: the range "22-2" runs backwards (NCrontab would read 2-22); for one that wraps write 22-23,0-2',
    });
  });

  it("takes names of three letters in any case, in their own field only", () => {
    expect(toNcrontab("0 0 * jUl sAt")).toEqual({ ok: true, ncrontab: "0 0 0 * jUl sAt" });
    expect(toNcrontab("0 0 * * THURS")).toMatchObject({ ok: false, reason: expect.stringContaining('write "THURS" as THU') });
    expect(toNcrontab("0 0 * MON *")).toEqual({ ok: false, reason: 'field "MON" uses syntax NCRONTAB does not support' });
  });

  it("steps from a single value to the end of the field", () => {
    expect(iso(nextOccurrences("0 50/5 * * * *", new Date("2026-03-01T00:00:00Z"), 3))).toEqual([
      "2026-03-01T00:50:00.000Z",
      "2026-03-01T00:55:00.000Z",
      "2026-03-01T01:50:00.000Z",
    ]);
  });

  it("fires on Feb 29 only in leap years, and each weekday's Feb 29 comes", () => {
    expect(iso(nextOccurrences("0 0 0 29 2 *", new Date("2026-01-01T00:00:00Z"), 2))).toEqual(["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]);
    for (let dayOfWeek = 0; dayOfWeek <= 6; dayOfWeek++) {
      const [next] = nextOccurrences(`0 0 0 29 2 ${dayOfWeek}`, new Date("2026-01-01T00:00:00Z"), 1);
      expect(next && [next.getUTCMonth(), next.getUTCDate(), next.getUTCDay()], `weekday ${dayOfWeek}`).toEqual([1, 29, dayOfWeek]);
    }
  });

  it("refuses a schedule whose dates never come", () => {
    expect(toNcrontab("0 0 31 4,6,9,11 *")).toEqual({ ok: false, reason: '"0 0 31 4,6,9,11 *" never fires: none of its months has any of its days of the month' });
  });

  it("refuses several seconds within restricted minutes, where the host's library versions disagree", () => {
    expect(toNcrontab("0,30 15 * * * *")).toMatchObject({ ok: false, reason: expect.stringContaining("several seconds within restricted minutes or hours") });
    expect(toNcrontab("0,30 * * * * *")).toEqual({ ok: true, ncrontab: "0,30 * * * * *" });
  });

  it("maps a firing to a sparse schedule's slot", () => {
    expect(scheduleSlot("0 0 0 29 2 *", new Date("2028-02-29T00:00:00.020Z")).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(scheduleSlot("0 0 0 29 2 *", new Date("2028-02-28T23:59:59.990Z")).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(scheduleSlot("0 0 0 29 2 *", new Date("2031-07-01T00:00:00Z")).toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });

  it("throws for an expression toNcrontab would refuse: callers pass only its output", () => {
    expect(() => nextOccurrences("0 0 0 * * 7", new Date(), 1)).toThrow(/not a valid NCRONTAB/u);
  });
});
