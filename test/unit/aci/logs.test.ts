import { describe, expect, it } from "vitest";
import { START_OF_LOG, boundedTail, parseTimestampedLog, takeNewLines, type LogCursor, type LogLine } from "../../../src/aci/logs";
import { prng } from "../../support/prng";

const T1 = "2026-01-01T00:00:01.000000000Z";
const T2 = "2026-01-01T00:00:02.000000000Z";
const T3 = "2026-01-01T00:00:03.000000000Z";
const line = (timestamp: string, text: string): LogLine => ({ timestamp, text });
const texts = (lines: readonly LogLine[]) => lines.map((l) => l.text);

describe("parseTimestampedLog", () => {
  it("returns no lines for absent or empty content", () => {
    expect(parseTimestampedLog(undefined)).toEqual([]);
    expect(parseTimestampedLog("")).toEqual([]);
  });

  it("splits a snapshot into lines without their newline (Airflow test_get_logs, adapted)", () => {
    // Ours on purpose: Airflow keeps "\n" on each line; we emit one log record per line, so it is dropped.
    const lines = parseTimestampedLog("log line 1\nlog line 2\nlog line 3\n");
    expect(texts(lines)).toEqual(["log line 1", "log line 2", "log line 3"]);
  });

  it("keeps a lone carriage return (a progress bar) and U+2028 inside the line, apart from its timestamp", () => {
    const content =
      "2026-01-01T00:00:01.000000001Z start\n" +
      "2026-01-01T00:00:02.000000002Z 10%\r20%\r30%\n" +
      "2026-01-01T00:00:03.000000003Z a\u2028b\u2029c\n" +
      "2026-01-01T00:00:04.000000004Z \rredrawn\n";
    expect(parseTimestampedLog(content)).toEqual([
      { timestamp: "2026-01-01T00:00:01.000000001Z", text: "start" },
      { timestamp: "2026-01-01T00:00:02.000000002Z", text: "10%\r20%\r30%" },
      { timestamp: "2026-01-01T00:00:03.000000003Z", text: "a\u2028b\u2029c" },
      { timestamp: "2026-01-01T00:00:04.000000004Z", text: "\rredrawn" },
    ]);
  });

  it("normalises fractions to nine digits so timestamps compare as strings", () => {
    const lines = parseTimestampedLog(
      "2026-01-01T00:00:01.5Z a\n2026-01-01T00:00:01.123456789Z b\n2026-01-01T00:00:02Z c\n",
    );
    expect(lines).toEqual([
      line("2026-01-01T00:00:01.500000000Z", "a"),
      line("2026-01-01T00:00:01.123456789Z", "b"),
      line("2026-01-01T00:00:02.000000000Z", "c"),
    ]);
  });

  it("converts an offset timestamp to UTC, keeping the fraction", () => {
    expect(parseTimestampedLog("2026-01-01T02:00:01.25+02:00 shifted")).toEqual([line("2026-01-01T00:00:01.250000000Z", "shifted")]);
  });

  it("accepts CRLF line ends and keeps text after the single separating space, including an empty text", () => {
    const lines = parseTimestampedLog(`${T1}   indented\r\n${T2} \r\n`);
    expect(lines).toEqual([line(T1, "  indented"), line(T2, "")]);
  });

  it("gives a line without a timestamp the previous line's timestamp", () => {
    const lines = parseTimestampedLog(`plain first\n${T1} stamped\ncontinued\n`);
    expect(lines).toEqual([line("0000-01-01T00:00:00.000000000Z", "plain first"), line(T1, "stamped"), line(T1, "continued")]);
  });
});

describe("takeNewLines", () => {
  it("emits the whole first snapshot and counts it", () => {
    const result = takeNewLines([line(T1, "a"), line(T2, "b")], START_OF_LOG, false);
    expect(texts(result.lines)).toEqual(["a", "b"]);
    expect(result.cursor).toEqual({ lastTimestamp: T2, linesAtLastTimestamp: 1, textsAtLastTimestamp: ["b"], emitted: 2 });
    expect(result.gap).toBe(false);
  });

  it("emits only what an overlapping snapshot adds", () => {
    const first = takeNewLines([line(T1, "a"), line(T2, "b")], START_OF_LOG, false);
    const second = takeNewLines([line(T1, "a"), line(T2, "b"), line(T3, "c")], first.cursor, false);
    expect(texts(second.lines)).toEqual(["c"]);
    expect(second.cursor).toEqual({ lastTimestamp: T3, linesAtLastTimestamp: 1, textsAtLastTimestamp: ["c"], emitted: 3 });
  });

  it("emits a repeated line with the same timestamp that arrives in a later snapshot", () => {
    // Ours on purpose: Airflow's _log_last compares text with the last printed line and would drop it.
    const first = takeNewLines([line(T1, "start"), line(T2, "same")], START_OF_LOG, false);
    const second = takeNewLines([line(T1, "start"), line(T2, "same"), line(T2, "same")], first.cursor, false);
    expect(texts(second.lines)).toEqual(["same"]);
    expect(second.cursor).toEqual({ lastTimestamp: T2, linesAtLastTimestamp: 2, textsAtLastTimestamp: ["same", "same"], emitted: 3 });
  });

  it("emits nothing and keeps the cursor for a snapshot it has fully seen", () => {
    const first = takeNewLines([line(T1, "a"), line(T1, "a")], START_OF_LOG, false);
    const again = takeNewLines([line(T1, "a"), line(T1, "a")], first.cursor, false);
    expect(again.lines).toEqual([]);
    expect(again.cursor).toBe(first.cursor);
    expect(again.gap).toBe(false);
  });

  it("emits nothing for an empty snapshot, truncated or not", () => {
    const cursor: LogCursor = { lastTimestamp: T1, linesAtLastTimestamp: 1, textsAtLastTimestamp: ["a"], emitted: 1 };
    expect(takeNewLines([], cursor, true)).toEqual({ lines: [], cursor, gap: false });
    expect(takeNewLines([], START_OF_LOG, true)).toEqual({ lines: [], cursor: START_OF_LOG, gap: false });
  });

  it("reports a gap when a possibly truncated snapshot starts after the cursor, and still emits what it has", () => {
    const cursor: LogCursor = { lastTimestamp: T1, linesAtLastTimestamp: 1, textsAtLastTimestamp: ["a"], emitted: 1 };
    const result = takeNewLines([line(T3, "late")], cursor, true);
    expect(result.gap).toBe(true);
    expect(texts(result.lines)).toEqual(["late"]);
    expect(result.cursor.emitted).toBe(2);
  });

  it("reports no gap for the same snapshot when it cannot have been truncated", () => {
    const cursor: LogCursor = { lastTimestamp: T1, linesAtLastTimestamp: 1, textsAtLastTimestamp: ["a"], emitted: 1 };
    expect(takeNewLines([line(T3, "late")], cursor, false).gap).toBe(false);
  });

  it("reports no gap when a truncated snapshot still reaches back to the cursor", () => {
    const cursor: LogCursor = { lastTimestamp: T2, linesAtLastTimestamp: 1, textsAtLastTimestamp: ["b"], emitted: 2 };
    const result = takeNewLines([line(T2, "b"), line(T3, "c")], cursor, true);
    expect(result.gap).toBe(false);
    expect(texts(result.lines)).toEqual(["c"]);
  });
});

describe("takeNewLines, property: exactly once over random growing and truncated snapshots", () => {
  const between = (rand: () => number, low: number, high: number) => low + Math.floor(rand() * (high - low + 1));

  const BASE_MS = Date.parse("2026-01-01T00:00:00Z");
  const TEXTS = ["tick", "tick", "same", "", "  indented", "done: 42"];

  interface Generated {
    readonly nanos: number;
    readonly text: string;
  }

  /** Canonical (normalised) form: what the parser must produce and the cursor compares. */
  const canonical = (nanos: number) =>
    `${new Date(BASE_MS + Math.floor(nanos / 1e9) * 1000).toISOString().slice(0, 19)}.${String(nanos % 1e9).padStart(9, "0")}Z`;

  /** The same instant written the ways ACI might: 9 digits, trailing zeros trimmed, or a +02:00 offset. */
  function written(nanos: number, rand: () => number): string {
    const seconds = new Date(BASE_MS + Math.floor(nanos / 1e9) * 1000);
    const fraction = String(nanos % 1e9).padStart(9, "0");
    const style = rand();
    if (style < 0.5) return canonical(nanos);
    if (style < 0.8) {
      const trimmed = fraction.replace(/0+$/u, "");
      return `${seconds.toISOString().slice(0, 19)}${trimmed ? `.${trimmed}` : ""}Z`;
    }
    return `${new Date(seconds.getTime() + 2 * 3_600_000).toISOString().slice(0, 19)}.${fraction}+02:00`;
  }

  function generate(rand: () => number): Generated[] {
    const lines: Generated[] = [];
    let nanos = between(rand, 0, 5) * 1e9;
    for (let i = between(rand, 1, 40); i > 0; i--) {
      // Often the same timestamp again; otherwise a step of a few nanoseconds up to a few seconds.
      if (lines.length > 0 && rand() >= 0.4) nanos += rand() < 0.5 ? between(rand, 1, 999) : between(rand, 1, 3_000_000_000);
      lines.push({ nanos, text: TEXTS[between(rand, 0, TEXTS.length - 1)]! });
    }
    return lines;
  }

  function snapshot(lines: readonly Generated[], rand: () => number): LogLine[] {
    const eol = rand() < 0.5 ? "\n" : "\r\n";
    return parseTimestampedLog(lines.map((l) => `${written(l.nanos, rand)} ${l.text}${eol}`).join(""));
  }

  const asText = (lines: readonly LogLine[]) => lines.map((l) => `${l.timestamp} ${l.text}`);
  const expected = (lines: readonly Generated[]) => lines.map((l) => `${canonical(l.nanos)} ${l.text}`);

  it("emits each line once, in order, and reports a gap exactly when a truncated snapshot lost unread lines", () => {
    let truncatedCases = 0;
    let droppedCases = 0;
    let cutsInsideGroup = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const rand = prng(seed);
      const original = generate(rand);
      const emitted: LogLine[] = [];
      let cursor: LogCursor = START_OF_LOG;

      // While the container runs, every snapshot is the whole log so far (a growing prefix, sometimes unchanged).
      let shown = 0;
      for (let look = between(rand, 0, 6); look > 0; look--) {
        shown = Math.min(original.length, shown + between(rand, 0, 8));
        const result = takeNewLines(snapshot(original.slice(0, shown), rand), cursor, false);
        expect(result.gap, `seed ${seed}`).toBe(false);
        emitted.push(...result.lines);
        cursor = result.cursor;
        expect(asText(emitted), `seed ${seed}`).toEqual(expected(original.slice(0, shown)));
        expect(cursor.emitted).toBe(emitted.length);
      }

      if (rand() < 0.5) {
        // Not cut: the final read sees the whole log.
        const result = takeNewLines(snapshot(original, rand), cursor, false);
        emitted.push(...result.lines);
        expect(result.gap, `seed ${seed}`).toBe(false);
        expect(asText(emitted), `seed ${seed}`).toEqual(expected(original));
        continue;
      }

      // The container stopped: the final snapshot is the log cut to its last lines.
      truncatedCases += 1;
      const read = emitted.length;
      // ACI keeps the last lines of a stopped container (at least one, since there was output).
      let cut = between(rand, 0, original.length - 1);
      if (cursor.lastTimestamp !== null) {
        // A cut inside the group of lines sharing the cursor's timestamp is lined up by content. Where that
        // group repeats a text, lines are indistinguishable (same time, same text) and no reader of ACI's API
        // can tell which copies were cut; the exact expectation below holds for distinguishable groups.
        const atCursor = original.flatMap((l, i) => (canonical(l.nanos) === cursor.lastTimestamp ? [i] : []));
        const [firstAtCursor, lastAtCursor] = [atCursor[0]!, atCursor.at(-1)!];
        const groupTexts = atCursor.map((i) => original[i]!.text);
        const distinguishable = new Set(groupTexts).size === groupTexts.length;
        if (cut > firstAtCursor && cut <= lastAtCursor) {
          if (distinguishable) cutsInsideGroup += 1;
          else cut = rand() < 0.5 || lastAtCursor + 1 === original.length ? firstAtCursor : lastAtCursor + 1;
        }
      }
      const dropped = cut > read;
      if (dropped) droppedCases += 1;

      const result = takeNewLines(snapshot(original.slice(cut), rand), cursor, true);
      emitted.push(...result.lines);
      const kept = dropped ? [...original.slice(0, read), ...original.slice(cut)] : original;
      expect(asText(emitted), `seed ${seed}, cut ${cut}, read ${read}`).toEqual(expected(kept));
      // A snapshot that starts exactly at the first unread line cannot be told from one that lost lines before
      // it (timestamps are all there is), so that one case is reported as a gap too: conservative by design.
      const indistinguishable = cut === read;
      expect(result.gap, `seed ${seed}, cut ${cut}, read ${read}`).toBe(dropped || indistinguishable);

      // Reading the same truncated snapshot again (a retried activity) emits nothing more and no gap.
      const again = takeNewLines(snapshot(original.slice(cut), rand), result.cursor, true);
      expect(again.lines, `seed ${seed}`).toEqual([]);
      expect(again.gap, `seed ${seed}`).toBe(false);
    }
    // The generator must actually exercise both branches.
    expect(truncatedCases).toBeGreaterThan(250);
    expect(droppedCases).toBeGreaterThan(75);
    expect(cutsInsideGroup).toBeGreaterThan(10);
  });
});

describe("boundedTail", () => {
  it("keeps the newest 50 lines", () => {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i}`);
    const tail = boundedTail(lines);
    expect(tail).toHaveLength(50);
    expect(tail[0]).toBe("line 10");
    expect(tail.at(-1)).toBe("line 59");
  });

  it("stops before exceeding 4,000 characters", () => {
    const tail = boundedTail(Array.from({ length: 9 }, (_, i) => String(i).repeat(500)));
    expect(tail).toHaveLength(8);
    expect(tail[0]).toBe("1".repeat(500));
  });

  it("cuts a line longer than 500 characters and marks the cut", () => {
    const [only] = boundedTail(["x".repeat(600)]);
    expect(only).toBe(`${"x".repeat(500)}…`);
  });

  it("honours smaller limits given by the caller", () => {
    expect(boundedTail(["a", "b", "c"], 2)).toEqual(["b", "c"]);
    expect(boundedTail(["aaaa", "bbbb", "cccc"], 50, 9)).toEqual(["bbbb", "cccc"]);
  });
});
