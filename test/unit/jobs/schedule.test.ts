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
