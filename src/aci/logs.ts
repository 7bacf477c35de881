/**
 * @module
 * Exactly-once log streaming over ACI's log API, which only ever returns a snapshot (the whole log up to
 * 4 MB while the container runs, the last 16 KB / 1,000 lines once it stopped; aci-rest-api.md §7).
 * Airflow remembers the last printed line and compares text, which drops or repeats lines when lines
 * repeat or scroll out of the tail. Here every snapshot is fetched with timestamps and a cursor keeps the
 * newest timestamp printed plus how many lines carried it, so repeated text is never confused.
 */

/** What ACI keeps of a container's log (aci-rest-api.md §7): 4 MB while it runs, the newest 16 KB / 1,000 lines once it stopped. */
export const ACI_LOG_LIMITS = Object.freeze({ runningBytes: 4 * 1024 * 1024, stoppedBytes: 16 * 1024, stoppedLines: 1_000 });

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
  /**
   * The newest few of those lines' texts (bounded), to line up a snapshot that ACI cut in the middle of
   * a group of lines sharing `lastTimestamp`.
   */
  readonly textsAtLastTimestamp: readonly string[];
  /** Lines emitted so far. */
  readonly emitted: number;
}

export const START_OF_LOG: LogCursor = Object.freeze({ lastTimestamp: null, linesAtLastTimestamp: 0, textsAtLastTimestamp: [], emitted: 0 });

/** Bounds on what the cursor remembers of the lines at its timestamp, to keep orchestration state small. */
const REMEMBERED_TEXTS = 10;
const REMEMBERED_CHARS = 200;

// `s`: the text may hold a lone carriage return (a progress bar redrawing itself) or U+2028/U+2029, which
// `.` does not match otherwise; ACI ends a line only at "\n".
const TIMESTAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) ?(.*)$/su;

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

/** A normalised log timestamp as ms since the epoch (its nanoseconds cut to milliseconds). */
export function logTimestampMs(timestamp: string): number {
  return Date.parse(`${timestamp.slice(0, 23)}Z`);
}

/**
 * About how many lines ACI dropped before `snapshot`, when the snapshot no longer reaches back to the
 * cursor: the snapshot's own lines per second over the time between the last line read and its first.
 * ACI's API cannot say exactly, and a rate says little about a gap much longer than the time it was
 * measured over (bursty output), so then, and when there is nothing to go by, undefined.
 */
export function estimateLinesDropped(snapshot: readonly LogLine[], cursor: LogCursor): number | undefined {
  const first = snapshot[0];
  const last = snapshot.at(-1);
  if (cursor.lastTimestamp === null || !first || !last || snapshot.length < 2) return undefined;
  const span = logTimestampMs(last.timestamp) - logTimestampMs(first.timestamp);
  const gap = logTimestampMs(first.timestamp) - logTimestampMs(cursor.lastTimestamp);
  if (span <= 0 || gap <= 0 || gap > 2 * span) return undefined;
  // The gap holds that many intervals between lines; the lines inside it are one fewer.
  return Math.max(1, Math.round(((snapshot.length - 1) / span) * gap) - 1);
}

/** A log timestamp (9 fraction digits) for an ISO time, to compare instants with log lines. */
export function toLogTimestamp(iso: string): string {
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 19)}.${String(date.getUTCMilliseconds()).padStart(3, "0")}000000Z`;
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
  const first = snapshot[0];
  let fresh: LogLine[];
  let gap: boolean;
  if (lastTimestamp === null) {
    fresh = [...snapshot];
    gap = snapshotMayBeTruncated && first !== undefined;
  } else {
    const atLast = snapshot.filter((line) => line.timestamp === lastTimestamp);
    // A snapshot that starts inside the group of lines sharing the cursor's timestamp may have lost the
    // group's head; line it up by content. Otherwise the whole group is there and counting suffices.
    const cutInsideGroup = snapshotMayBeTruncated && first?.timestamp === lastTimestamp;
    const alreadyEmitted = cutInsideGroup ? overlap(cursor.textsAtLastTimestamp, atLast) : Math.min(cursor.linesAtLastTimestamp, atLast.length);
    let skipped = 0;
    fresh = snapshot.filter((line) => {
      if (line.timestamp < lastTimestamp) return false;
      if (line.timestamp === lastTimestamp && skipped < alreadyEmitted) {
        skipped += 1;
        return false;
      }
      return true;
    });
    gap =
      snapshotMayBeTruncated &&
      first !== undefined &&
      (first.timestamp > lastTimestamp || (cutInsideGroup && alreadyEmitted === 0 && atLast.length > 0));
  }
  const newest = fresh.at(-1);
  if (!newest) return { lines: [], cursor, gap };
  const freshAtNewest = fresh.filter((line) => line.timestamp === newest.timestamp).map((line) => line.text);
  const continuesGroup = newest.timestamp === lastTimestamp;
  const texts = [...(continuesGroup ? cursor.textsAtLastTimestamp : []), ...freshAtNewest.map(remembered)].slice(-REMEMBERED_TEXTS);
  return {
    lines: fresh,
    cursor: {
      lastTimestamp: newest.timestamp,
      linesAtLastTimestamp: (continuesGroup ? cursor.linesAtLastTimestamp : 0) + freshAtNewest.length,
      textsAtLastTimestamp: texts,
      emitted: cursor.emitted + fresh.length,
    },
    gap,
  };
}

const remembered = (text: string) => text.slice(0, REMEMBERED_CHARS);

/**
 * How many lines at the start of `group` were emitted already: the longest tail of the remembered texts
 * that equals the group's head. Used only when ACI cut the log inside the group.
 */
function overlap(rememberedTexts: readonly string[], group: readonly LogLine[]): number {
  for (let k = Math.min(rememberedTexts.length, group.length); k > 0; k--) {
    const tail = rememberedTexts.slice(rememberedTexts.length - k);
    if (tail.every((text, i) => text === remembered(group[i]!.text))) return k;
  }
  return 0;
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
