import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../src/jobs/duration";

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
