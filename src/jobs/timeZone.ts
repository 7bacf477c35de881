/**
 * @module
 * IANA time zones for job schedules, from the runtime's own time zone data (ICU, through Intl). A local
 * wall-clock time is written here as "wall" milliseconds: the instant at which a UTC clock would show the
 * same date and time. Turning a wall time into an instant follows RFC 5545 §3.3.5 (iCalendar): a local time
 * that does not exist (the clock springs forward over it) is read with the UTC offset before the change,
 * and one that occurs twice (the clock falls back over it) is its first occurrence.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export type TimeZoneCheck = { readonly ok: true; readonly timeZone: string } | { readonly ok: false; readonly reason: string };

/** The zone's canonical spelling, or why it is not an IANA zone this runtime knows. */
export function checkTimeZone(name: string): TimeZoneCheck {
  if (name === "" || name.length > 64) return { ok: false, reason: `"${name.slice(0, 64)}" is not an IANA time zone name such as "Europe/Berlin"` };
  let timeZone: string;
  try {
    timeZone = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return { ok: false, reason: `"${name}" is not an IANA time zone name such as "Europe/Berlin" or "America/New_York"` };
  }
  // Intl also takes offsets ("+01:00"), which have no daylight saving time: a plain UTC schedule says that better.
  if (!/^[A-Za-z]/u.test(name)) return { ok: false, reason: `"${name}" is an offset, not a time zone: name the zone (e.g. "Asia/Kolkata"), or use a UTC schedule` };
  return { ok: true, timeZone };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's UTC offset at `instant`, in ms (east of Greenwich positive). */
export function offsetAt(timeZone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const wholeSeconds = Math.floor(instant / 1000) * 1000;
  return wall - wholeSeconds;
}

/** The wall time the zone's clocks show at `instant`. */
export function wallTimeAt(timeZone: string, instant: number): number {
  return instant + offsetAt(timeZone, instant);
}

/**
 * The instant of a wall time, RFC 5545 §3.3.5: in a spring-forward gap, the wall time read with the
 * offset before the change (so 02:30 in a gap from 02:00 to 03:00 is 03:30 after it); in a fall-back
 * overlap, the first of its two instants.
 */
export function instantOf(timeZone: string, wall: number): number {
  // Zones change offset at most once within a day either side (true of every zone in the tz database).
  const before = offsetAt(timeZone, wall - DAY_MS);
  const after = offsetAt(timeZone, wall + DAY_MS);
  const valid = [...new Set([before, after])].map((offset) => wall - offset).filter((instant) => offsetAt(timeZone, instant) === wall - instant);
  if (valid.length === 0) return wall - before;
  return Math.min(...valid);
}

/**
 * Every UTC offset the zone uses from a year before `around` until ten years after it, in ms: what the
 * job's UTC timer must cover. Sampled daily; a zone keeps each offset for far longer than a day.
 */
export function offsetsAround(timeZone: string, around: number): number[] {
  const offsets = new Set<number>();
  for (let instant = around - 366 * DAY_MS; instant <= around + 3_653 * DAY_MS; instant += DAY_MS) offsets.add(offsetAt(timeZone, instant));
  return [...offsets].sort((a, b) => a - b);
}

/** `2026-03-29T03:30:00+02:00`: an instant as the zone's clocks show it, with their offset (`+00:00` for none). */
export function formatInZone(timeZone: string, instant: number): string {
  const offset = offsetAt(timeZone, instant);
  const wall = new Date(instant + offset).toISOString().slice(0, 19);
  const minutes = Math.abs(offset) / MINUTE_MS;
  const sign = offset < 0 ? "-" : "+";
  return `${wall}${sign}${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
