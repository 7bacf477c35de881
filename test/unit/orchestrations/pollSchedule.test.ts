import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ACI_LOG_LIMITS } from "../../../src/aci/logs";
import {
  FIRST_POLL_MS,
  MAX_POLL_MS,
  MAX_QUEUE_POLLING_MS,
  MIN_POLL_MS,
  POLLS_PER_GENERATION,
  nextLookDelayMs,
  pollDelayMs,
  timerLatenessMs,
} from "../../../src/orchestrations/pollSchedule";

/**
 * How many looks the watch takes before it sees a container that is done `doneAfterMs` after creation: it
 * looks at createdAt + pollDelayMs(0), then again pollDelayMs(elapsed) later, as watchContainerGroup does.
 */
function looksUntilDone(doneAfterMs: number): number {
  let elapsed = 0;
  let looks = 0;
  do {
    elapsed += pollDelayMs(elapsed);
    looks += 1;
  } while (elapsed < doneAfterMs);
  return looks;
}

describe("pollDelayMs", () => {
  it("waits 10 s for the first look", () => {
    expect(FIRST_POLL_MS).toBe(10_000);
    expect(pollDelayMs(0)).toBe(10_000);
  });

  it("waits about a tenth of the elapsed time once that exceeds 10 s", () => {
    expect(pollDelayMs(100_000)).toBe(10_000);
    expect(pollDelayMs(300_000)).toBe(30_000);
    expect(pollDelayMs(1_234_567)).toBe(123_457);
  });

  it("never waits longer than 3 minutes", () => {
    expect(MAX_POLL_MS).toBe(180_000);
    expect(pollDelayMs(1_800_000)).toBe(180_000);
    expect(pollDelayMs(86_400_000)).toBe(180_000);
    expect(pollDelayMs(Number.MAX_SAFE_INTEGER)).toBe(180_000);
  });

  it("waits the first-poll delay when the clock says the group is from the future", () => {
    expect(pollDelayMs(-5_000)).toBe(10_000);
  });

  it("never shortens as time passes, and stays within its bounds", () => {
    const violations: string[] = [];
    let previous = 0;
    for (let elapsed = -10_000; elapsed <= 3 * 86_400_000; elapsed += 997) {
      const delay = pollDelayMs(elapsed);
      if (delay < previous || delay < FIRST_POLL_MS || delay > MAX_POLL_MS) violations.push(`${elapsed} ms -> ${delay} ms`);
      previous = delay;
    }
    expect(violations).toEqual([]);
  });
});

describe("looks a container costs", () => {
  it("takes two looks for a container done just after 10 s (at 10 s and 20 s)", () => {
    expect(looksUntilDone(10_001)).toBe(2);
    expect(looksUntilDone(20_000)).toBe(2);
  });

  it("takes 511 looks for a 24-hour container (Airflow's operator looks 86,400 times)", () => {
    expect(looksUntilDone(86_400_000)).toBe(511);
  });

  it("spreads a 24-hour watch over six generations of at most 100 looks", () => {
    expect(POLLS_PER_GENERATION).toBe(100);
    expect(Math.ceil(looksUntilDone(86_400_000) / POLLS_PER_GENERATION)).toBe(6);
  });
});

describe("nextLookDelayMs: looks often enough for how fast the container writes", () => {
  const perSecond = (lines: number, bytesPerLine = 40) => ({ linesPerSecond: lines, bytesPerSecond: lines * bytesPerLine });

  it("keeps the age schedule for a quiet container", () => {
    expect(nextLookDelayMs(600_000, null)).toBe(pollDelayMs(600_000));
    expect(nextLookDelayMs(600_000, perSecond(0))).toBe(pollDelayMs(600_000));
    expect(nextLookDelayMs(600_000, perSecond(0.1))).toBe(pollDelayMs(600_000));
  });

  it("reads a chatty container before it can write half of what ACI keeps after a stop, the timer's lateness included", () => {
    for (const lines of [10, 33, 40]) {
      for (const age of [30_000, 600_000, 3_600_000]) {
        const delay = nextLookDelayMs(age, perSecond(lines));
        const written = ((delay + timerLatenessMs(delay)) / 1_000) * lines;
        expect(written * 40, `${lines} lines/s at ${age} ms`).toBeLessThanOrEqual(ACI_LOG_LIMITS.stoppedBytes / 2);
        expect(written).toBeLessThanOrEqual(ACI_LOG_LIMITS.stoppedLines / 2);
        expect(delay).toBeGreaterThanOrEqual(MIN_POLL_MS);
      }
    }
  });

  it("counts lines too: many short lines fill ACI's 1,000 before its 16 KB", () => {
    const delay = nextLookDelayMs(3_600_000, perSecond(80, 2));
    expect(((delay + timerLatenessMs(delay)) / 1_000) * 80).toBeLessThanOrEqual(500);
  });

  it("never looks more often than every 2 s, however fast the container writes; at 60 lines/s that still fits what ACI keeps", () => {
    expect(nextLookDelayMs(3_600_000, perSecond(10_000))).toBe(MIN_POLL_MS);
    const delay = nextLookDelayMs(600_000, perSecond(60));
    expect(delay).toBe(MIN_POLL_MS);
    expect(((delay + timerLatenessMs(delay)) / 1_000) * 60 * 40).toBeLessThan(ACI_LOG_LIMITS.stoppedBytes);
  });
});

describe("timerLatenessMs", () => {
  it("assumes host.json's maxQueuePollingInterval", () => {
    const host = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "host.json"), "utf8")) as {
      extensions: { durableTask: { storageProvider: { maxQueuePollingInterval: string } } };
    };
    const [h, m, s] = host.extensions.durableTask.storageProvider.maxQueuePollingInterval.split(":").map(Number);
    expect(((h! * 60 + m!) * 60 + s!) * 1_000).toBe(MAX_QUEUE_POLLING_MS);
  });

  it("is about 1.5× a short delay (the polling ramp after the timer reset it), at most the maximum interval", () => {
    expect(timerLatenessMs(2_000)).toBe(3_100);
    expect(timerLatenessMs(60_000)).toBe(MAX_QUEUE_POLLING_MS);
  });
});
