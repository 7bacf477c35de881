import { describe, expect, it } from "vitest";
import { FIRST_POLL_MS, MAX_POLL_MS, POLLS_PER_GENERATION, pollDelayMs } from "../../../src/orchestrations/pollSchedule";

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
