import { describe, expect, it } from "vitest";
import { formatDuration, MAX_DURATION_DIGITS, parseDuration, readDuration } from "../../../src/jobs/duration";

describe("parseDuration", () => {
  it("reads each unit", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
  });

  it("adds up combined parts and ignores spaces", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration(" 1h 30m ")).toBe(5_400_000);
    expect(parseDuration("1d2h3m4s5ms")).toBe(93_784_005);
  });

  it("reads ms as milliseconds, not minutes followed by seconds", () => {
    expect(parseDuration("5ms")).toBe(5);
    expect(parseDuration("5m5s")).toBe(305_000);
  });

  it("accepts zero", () => {
    expect(parseDuration("0s")).toBe(0);
  });

  it("rejects anything that is not digits followed by a unit", () => {
    for (const text of ["", "5", "m", "1.5h", "-1m", "1w", "PT5M", "5 minutes", "1h30"]) {
      expect(parseDuration(text), JSON.stringify(text)).toBeUndefined();
    }
  });
});

describe("readDuration: bounds (issue 9)", () => {
  it("refuses a number of more than 9 digits before converting it, so nothing becomes Infinity", () => {
    // Before: "9…9s" with 400 digits gave Infinity, stored as null in the run's input.
    expect(parseDuration(`${"9".repeat(400)}s`)).toBeUndefined();
    expect(readDuration("1000000000s")).toEqual({ ok: false, reason: "tooManyDigits" });
    expect(readDuration("0000000001s")).toEqual({ ok: false, reason: "tooManyDigits" });
    expect(readDuration(`${"9".repeat(MAX_DURATION_DIGITS)}ms`)).toEqual({ ok: true, ms: 999_999_999 });
    expect(parseDuration("518400000ms")).toBe(6 * 86_400_000);
  });

  it("refuses a text longer than 40 characters, spaces included", () => {
    expect(readDuration(`1h${" ".repeat(39)}`)).toEqual({ ok: false, reason: "tooLong" });
    expect(readDuration("1s".repeat(21))).toEqual({ ok: false, reason: "tooLong" });
    expect(readDuration("1s".repeat(20))).toEqual({ ok: true, ms: 20_000 });
    expect(readDuration("x".repeat(1_000_000))).toEqual({ ok: false, reason: "tooLong" });
  });

  it("returns a finite whole number of milliseconds for every text it accepts", () => {
    for (const text of ["999999999d999999999d999999999d", "100000000d", "1d2h3m4s5ms", "0ms"]) {
      const read = readDuration(text);
      expect(read.ok, text).toBe(true);
      if (read.ok) {
        expect(Number.isFinite(read.ms), text).toBe(true);
        expect(Number.isInteger(read.ms), text).toBe(true);
      }
    }
  });

  it("tells a text that is not a duration apart from one that is too big to read", () => {
    expect(readDuration("5 minutes")).toEqual({ ok: false, reason: "syntax" });
  });
});

describe("formatDuration", () => {
  it("writes the largest units first and leaves out empty ones", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(60_000)).toBe("1m");
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(86_400_000)).toBe("1d");
    expect(formatDuration(90_061_001)).toBe("1d1h1m1s1ms");
  });

  it("is the inverse of parseDuration for whole milliseconds", () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 1_000; i++) {
      const ms = next() * (next() % 50); // up to ~2.5 * 10^11 ms, about 8 years
      expect(parseDuration(formatDuration(ms)), String(ms)).toBe(ms);
    }
  });
});
