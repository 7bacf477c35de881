/**
 * @module
 * Exactly-once log streaming over ACI's log API, which only ever returns a snapshot (the whole log up to
 * 4 MB while the container runs, the last 16 KB / 1,000 lines once it stopped; aci-rest-api.md §7).
 * Airflow remembers the last printed line and compares text, which drops or repeats lines when lines
 * repeat or scroll out of the tail. Here every snapshot is fetched with timestamps and a cursor keeps the
 * newest timestamp printed plus how many lines carried it, so repeated text is never confused.
 */

export interface LogLine {
  /** RFC 3339 timestamp as ACI wrote it. */
  readonly timestamp: string;
  readonly text: string;
}

/** Where streaming stopped; small and JSON-safe, so it travels through orchestration state. */
export interface LogCursor {
  /** Normalised timestamp (9 fraction digits) of the newest line emitted, or null before the first. */
  readonly lastTimestamp: string | null;
  /** How many emitted lines carry `lastTimestamp` (lines can share a timestamp). */
  readonly linesAtLastTimestamp: number;
  /** Lines emitted so far. */
  readonly emitted: number;
}

export const START_OF_LOG: LogCursor = Object.freeze({ lastTimestamp: null, linesAtLastTimestamp: 0, emitted: 0 });

const TIMESTAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})\s?(.*)$/u;

/** Splits a `timestamps=true` snapshot into lines; a line without a timestamp inherits the previous one. */
export function parseTimestampedLog(content: string | undefined): LogLine[] {
  if (!content) return [];
  const rows = content.split(/\r?\n/u);
  if (rows.at(-1) === "") rows.pop();
  const lines: LogLine[] = [];
  let previous = "0000-01-01T00:00:00.000000000Z";
  for (const row of rows) {
    const match = TIMESTAMPED.exec(row);
    if (match) {
      previous = normaliseTimestamp(match[1]!, match[2], match[3]!);
      lines.push({ timestamp: previous, text: match[4] ?? "" });
    } else {
      lines.push({ timestamp: previous, text: row });
    }
  }
  return lines;
}

function normaliseTimestamp(seconds: string, fraction: string | undefined, zone: string): string {
  const utcSeconds =
    zone === "Z" ? seconds : new Date(`${seconds}${zone}`).toISOString().slice(0, 19);
  return `${utcSeconds}.${(fraction ?? "").padEnd(9, "0")}Z`;
}

export interface NewLines {
  readonly lines: readonly LogLine[];
  readonly cursor: LogCursor;
  /**
   * True when the snapshot starts after the cursor although lines were expected in between: the
   * service dropped lines (the 16 KB / 1,000-line cap after stop). Reported, since they cannot be read.
   */
  readonly gap: boolean;
}

/** The lines of `snapshot` not yet emitted according to `cursor`, and the cursor after emitting them. */
export function takeNewLines(snapshot: readonly LogLine[], cursor: LogCursor, snapshotMayBeTruncated: boolean): NewLines {
  const { lastTimestamp } = cursor;
  let fresh: LogLine[];
  if (lastTimestamp === null) {
    fresh = [...snapshot];
  } else {
    let skippedAtLast = 0;
    fresh = snapshot.filter((line) => {
      if (line.timestamp < lastTimestamp) return false;
      if (line.timestamp === lastTimestamp && skippedAtLast < cursor.linesAtLastTimestamp) {
        skippedAtLast += 1;
        return false;
      }
      return true;
    });
  }
  const first = snapshot[0];
  const gap = snapshotMayBeTruncated && first !== undefined && (lastTimestamp === null || first.timestamp > lastTimestamp);
  const newest = fresh.at(-1);
  if (!newest) return { lines: [], cursor, gap };
  const atNewest = fresh.filter((line) => line.timestamp === newest.timestamp).length;
  const carried = newest.timestamp === lastTimestamp ? cursor.linesAtLastTimestamp : 0;
  return {
    lines: fresh,
    cursor: {
      lastTimestamp: newest.timestamp,
      linesAtLastTimestamp: carried + atNewest,
      emitted: cursor.emitted + fresh.length,
    },
    gap,
  };
}

/** Bounded tail for run results: at most `maxLines` lines and `maxChars` characters, newest kept. */
export function boundedTail(lines: readonly string[], maxLines = 50, maxChars = 4_000): string[] {
  const tail: string[] = [];
  let chars = 0;
  for (let i = lines.length - 1; i >= 0 && tail.length < maxLines; i--) {
    const line = lines[i]!.length > 500 ? `${lines[i]!.slice(0, 500)}…` : lines[i]!;
    if (chars + line.length > maxChars) break;
    chars += line.length;
    tail.unshift(line);
  }
  return tail;
}
