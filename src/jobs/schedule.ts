/**
 * @module
 * Job schedules. Authors write Airflow's presets (`@daily`), a 5-field cron (as in a DAG) or a 6-field
 * NCRONTAB (as the Functions timer trigger wants); everything is normalised to NCRONTAB. A plain schedule
 * is in UTC. A schedule with an IANA `timeZone` is in that zone's local time: NCRONTAB timers are UTC and
 * WEBSITE_TIME_ZONE "isn't currently supported when running on Linux in a Consumption or Flex Consumption
 * plan" (learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-time-zones),
 * so the job's one timer fires at every UTC time a local slot can fall on, whatever the offset
 * ({@link JobSchedule.timerSchedule}), and each firing is matched to its local slot here ({@link slotOfFiring}).
 * Local times that do not exist or occur twice follow RFC 5545 (src/jobs/timeZone.ts).
 *
 * Schedules are evaluated here exactly as the Functions host evaluates the timer trigger's expression,
 * with the NCrontab library (github.com/atifaziz/NCrontab): fields are parsed as `NCrontab/CrontabFieldImpl.cs`
 * and `CrontabField.cs` do, and an occurrence is a second that every field allows, day-of-month AND
 * day-of-week, which is what `TryGetNextOccurrence` in `NCrontab/CrontabSchedule.cs` finds. Expressions
 * that NCrontab reads against cron habits (a backwards range, step 0, a name prefix), that a DAG's cron
 * would read differently, or on which the library versions the host may load disagree, are refused.
 * test/unit/jobs/ncrontabGolden.test.ts checks all of this against the real library.
 */

import { checkTimeZone, instantOf, offsetsAround } from "./timeZone";

/** Airflow's schedule presets, as NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`). */
const PRESETS: Readonly<Record<string, string>> = {
  "@hourly": "0 0 * * * *",
  "@daily": "0 0 0 * * *",
  "@midnight": "0 0 0 * * *",
  "@weekly": "0 0 0 * * 0",
  "@monthly": "0 0 0 1 * *",
  "@quarterly": "0 0 0 1 1,4,7,10 *",
  "@yearly": "0 0 0 1 1 *",
  "@annually": "0 0 0 1 1 *",
};

interface FieldKind {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Full names, from `min` on; NCrontab accepts any prefix of them, we accept the first three letters. */
  readonly names?: readonly string[];
}

const FIELD_KINDS: readonly FieldKind[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER"],
  },
  // NCrontab's day of week is 0-6 with Sunday 0; it refuses 7.
  { name: "day-of-week", min: 0, max: 6, names: ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"] },
];

/** The values each field allows, ascending. */
interface Schedule {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
}

export type ScheduleParse = { ok: true; ncrontab: string } | { ok: false; reason: string };

/** A job's schedule, as validated at startup. Plain JSON: it travels in the run's input. */
export interface JobSchedule {
  /** As the author wrote it: `@daily`, a cron or an NCRONTAB. */
  readonly expression: string;
  /** The schedule as NCRONTAB, in `timeZone`'s local time. */
  readonly ncrontab: string;
  /** `UTC` for a plain schedule, else the IANA zone the schedule's times are in. */
  readonly timeZone: string;
  /**
   * What the job's Functions timer is given (UTC NCRONTAB): the schedule itself in UTC; for a zone, every
   * UTC minute and hour a local slot can fall on at any of the zone's offsets, every day. Firings that
   * are no local slot start nothing.
   */
  readonly timerSchedule: string;
  /** The zone's UTC offsets (ms) around the time the app started; empty for UTC. */
  readonly utcOffsets: readonly number[];
}

export type JobScheduleParse = { ok: true; schedule: JobSchedule } | { ok: false; field: "cron" | "timeZone"; reason: string };

/** A schedule in UTC (`timeZone` omitted) or in an IANA zone's local time. `now` only bounds the zone's offsets. */
export function parseJobSchedule(expression: string, timeZone: string | undefined, now: number): JobScheduleParse {
  const parsed = toNcrontab(expression);
  if (!parsed.ok) return { ok: false, field: "cron", reason: parsed.reason };
  if (timeZone === undefined) return { ok: true, schedule: { expression, ncrontab: parsed.ncrontab, timeZone: "UTC", timerSchedule: parsed.ncrontab, utcOffsets: [] } };
  const zone = checkTimeZone(timeZone);
  if (!zone.ok) return { ok: false, field: "timeZone", reason: zone.reason };
  const utcOffsets = offsetsAround(zone.timeZone, now);
  if (utcOffsets.some((offset) => offset % 60_000 !== 0)) return { ok: false, field: "timeZone", reason: `${zone.timeZone} has an offset in seconds, which a timer cannot follow` };
  return { ok: true, schedule: { expression, ncrontab: parsed.ncrontab, timeZone: zone.timeZone, timerSchedule: utcTimerSchedule(parsed.ncrontab, utcOffsets), utcOffsets } };
}

/**
 * The UTC NCRONTAB that fires at every minute of the day a local slot can fall on at one of `offsets`: the
 * local seconds, and for minutes and hours each local (hour, minute) moved by each offset. A schedule's
 * days are checked at the firing, so the days are `*`. One NCRONTAB is a product of its fields, so this
 * may fire at more minutes than the slots need (each such firing starts nothing).
 */
function utcTimerSchedule(ncrontab: string, offsets: readonly number[]): string {
  const local = validSchedule(ncrontab);
  const minutes = new Set<number>();
  const hours = new Set<number>();
  for (const offset of offsets) {
    for (const hour of local.hours) {
      for (const minute of local.minutes) {
        const utcMinuteOfDay = mod(hour * 60 + minute - offset / 60_000, 1_440);
        hours.add(Math.floor(utcMinuteOfDay / 60));
        minutes.add(utcMinuteOfDay % 60);
      }
    }
  }
  const list = (values: Set<number>, all: number) => (values.size === all ? "*" : [...values].sort((a, b) => a - b).join(","));
  const timer = `${ncrontab.split(" ")[0]} ${list(minutes, 60)} ${list(hours, 24)} * * *`;
  validSchedule(timer);
  return timer;
}

/** The schedule's next `count` slots strictly after `after`, in time order (instants). */
export function nextSlots(schedule: JobSchedule, after: Date, count: number): Date[] {
  if (schedule.timeZone === "UTC") return nextOccurrences(schedule.ncrontab, after, count);
  return zonedSlotsAfter(schedule, after.getTime(), count).map((instant) => new Date(instant));
}

/**
 * The slot a timer firing at `firedAt` is for, or undefined when it is for none. As {@link scheduleSlot}:
 * the latest slot at or before the firing, or the next one when the firing is a little early for it. For a
 * zoned schedule, the timer also fires at UTC times that are no local slot (see {@link JobSchedule.timerSchedule}):
 * such a firing is for no slot, unless it is past due (the first firing after downtime), which catches up
 * the latest slot as a plain schedule's does.
 */
export function slotOfFiring(schedule: JobSchedule, firedAt: Date, pastDue: boolean): Date | undefined {
  if (schedule.timeZone === "UTC") return scheduleSlot(schedule.ncrontab, firedAt);
  const at = firedAt.getTime();
  const previous = zonedSlotAtOrBefore(schedule, at);
  const [next] = zonedSlotsAfter(schedule, at, 1);
  if (next !== undefined) {
    const tolerance = Math.min(EARLY_FIRING_TOLERANCE_MS, previous === undefined ? EARLY_FIRING_TOLERANCE_MS : (next - previous) / 2);
    if (next - at <= tolerance) return new Date(next);
  }
  if (previous === undefined) return undefined;
  if (!pastDue && at - previous > LATE_FIRING_TOLERANCE_MS) return undefined;
  return new Date(previous);
}

/** The slot before `slot` (the start of its data interval), or undefined when the schedule has none before it. */
export function previousSlot(schedule: JobSchedule, slot: Date): Date | undefined {
  if (schedule.timeZone === "UTC") return lastAtOrBefore(validSchedule(schedule.ncrontab), new Date(slot.getTime() - SECOND_MS));
  const previous = zonedSlotAtOrBefore(schedule, slot.getTime() - 1);
  return previous === undefined ? undefined : new Date(previous);
}

/**
 * The schedule's slots strictly between `after` and `before`, oldest first, at most `max` of them; `more`
 * says how many more there are, counted up to a bound (0 when none).
 */
export function slotsBetween(schedule: JobSchedule, after: Date, before: Date, max: number): { slots: Date[]; more: number } {
  const slots: Date[] = [];
  let more = 0;
  for (let from = after; ; ) {
    const batch = nextSlots(schedule, from, 1_000);
    for (const at of batch) {
      if (at.getTime() >= before.getTime()) return { slots, more };
      if (slots.length < max) slots.push(at);
      else if (++more >= max) return { slots, more };
    }
    if (batch.length === 0) return { slots, more };
    from = batch.at(-1)!;
  }
}

/** Whether `at` is one of the schedule's slots. */
export function isSlot(schedule: JobSchedule, at: Date): boolean {
  return nextSlots(schedule, new Date(at.getTime() - 1), 1)[0]?.getTime() === at.getTime();
}

/** How late an on-time firing may reach the handler and still be its slot's: a firing later than this is past due. */
const LATE_FIRING_TOLERANCE_MS = 60_000;

const SECOND_MS = 1_000;

/**
 * The first `count` local slots after instant `after`. A wall time w is the instant w − offset, offset
 * within the zone's range, so walls are walked from `after` + the least offset until no later wall can
 * give an instant among the first `count` (walls map to instants in order except across a gap).
 */
function zonedSlotsAfter(schedule: JobSchedule, after: number, count: number): number[] {
  const local = validSchedule(schedule.ncrontab);
  const least = Math.min(...schedule.utcOffsets);
  const most = Math.max(...schedule.utcOffsets);
  const found: number[] = [];
  for (let wall = after + least; ; ) {
    const next = firstAfter(local, new Date(wall));
    if (!next) break;
    wall = next.getTime();
    if (found.length >= count && wall - most > found[count - 1]!) break;
    const instant = instantOf(schedule.timeZone, wall);
    if (instant > after && !found.includes(instant)) {
      found.push(instant);
      found.sort((a, b) => a - b);
      found.length = Math.min(found.length, count);
    }
  }
  return found;
}

/** The latest local slot at or before instant `at` (walls walked back from `at` + the greatest offset). */
function zonedSlotAtOrBefore(schedule: JobSchedule, at: number): number | undefined {
  const local = validSchedule(schedule.ncrontab);
  const least = Math.min(...schedule.utcOffsets);
  const most = Math.max(...schedule.utcOffsets);
  let best: number | undefined;
  for (let wall = at + most + SECOND_MS; ; ) {
    const previous = lastAtOrBefore(local, new Date(wall - SECOND_MS));
    if (!previous) break;
    wall = previous.getTime();
    if (best !== undefined && wall - least < best) break;
    const instant = instantOf(schedule.timeZone, wall);
    if (instant <= at && (best === undefined || instant > best)) best = instant;
  }
  return best;
}

export function toNcrontab(expression: string): ScheduleParse {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) {
    const preset = PRESETS[trimmed];
    return preset
      ? { ok: true, ncrontab: preset }
      : { ok: false, reason: `unknown preset "${trimmed}"; use one of ${Object.keys(PRESETS).join(", ")}` };
  }
  const fields = trimmed.split(/\s+/u);
  if (fields.length !== 5 && fields.length !== 6) {
    return { ok: false, reason: `"${trimmed}" has ${fields.length} fields; write 6 (NCRONTAB, seconds first) or 5 (cron)` };
  }
  const ncrontab = (fields.length === 5 ? ["0", ...fields] : fields).join(" ");
  const lacking = ncrontab.split(" ").find((field, index) => usesSyntaxNcrontabLacks(field, FIELD_KINDS[index]));
  if (lacking !== undefined) return { ok: false, reason: `field "${lacking}" uses syntax NCRONTAB does not support` };
  const schedule = parseNcrontab(ncrontab);
  if (typeof schedule === "string") return { ok: false, reason: `"${trimmed}" is not a valid schedule: ${schedule}` };

  // Vixie cron and Airflow's croniter run on days matching either day field; NCrontab needs both.
  const [dayOfMonth, , dayOfWeek] = fields.slice(-3);
  if (fields.length === 5 && dayOfMonth !== "*" && dayOfWeek !== "*") {
    return {
      ok: false,
      reason:
        `"${trimmed}" restricts both day of month and day of week: cron runs on days that match either, ` +
        `the Functions host only on days that match both. If both is meant, write the 6-field "0 ${trimmed}"`,
    };
  }
  // Before 3.3.3 NCrontab keeps the second it found when it moves on to a later minute or hour
  // (atifaziz/NCrontab#90): with one second, or every minute and hour, the versions agree.
  const everyMinuteAndHour = schedule.minutes.length === 60 && schedule.hours.length === 24;
  if (schedule.seconds.length > 1 && !everyMinuteAndHour) {
    return {
      ok: false,
      reason:
        `"${trimmed}" fires at several seconds within restricted minutes or hours, where NCrontab before 3.3.3 ` +
        `(the local host's) picks a later first firing than 3.3.3 (Azure's); use a single second, or * for minutes and hours`,
    };
  }
  if (!hasCalendarDate(schedule)) {
    return { ok: false, reason: `"${trimmed}" never fires: none of its months has any of its days of the month` };
  }
  return { ok: true, ncrontab };
}

/** The next `count` fire times strictly after `after`. */
export function nextOccurrences(ncrontab: string, after: Date, count: number): Date[] {
  const schedule = validSchedule(ncrontab);
  const occurrences: Date[] = [];
  for (let previous = after; occurrences.length < count; ) {
    const next = firstAfter(schedule, previous);
    if (!next) break;
    occurrences.push(next);
    previous = next;
  }
  return occurrences;
}

/**
 * The schedule slot a firing at `firedAt` belongs to. Normally the latest occurrence at or before it, so
 * a past-due firing after downtime maps to the most recent slot only (catchup=False). But timers can fire
 * a little early (milliseconds; Azure/azure-functions-host#7398): a firing just before an occurrence,
 * within a minute and less than half the schedule's period, belongs to that occurrence.
 */
export function scheduleSlot(ncrontab: string, firedAt: Date): Date {
  const schedule = validSchedule(ncrontab);
  const previous = lastAtOrBefore(schedule, firedAt);
  const next = firstAfter(schedule, firedAt);
  if (!previous || !next) throw new Error(`schedule "${ncrontab}" has no occurrence around ${firedAt.toISOString()}`);
  const earlyBy = next.getTime() - firedAt.getTime();
  const tolerance = Math.min(EARLY_FIRING_TOLERANCE_MS, (next.getTime() - previous.getTime()) / 2);
  return earlyBy > 0 && earlyBy <= tolerance ? next : previous;
}

const EARLY_FIRING_TOLERANCE_MS = 60_000;

// Parsing ---------------------------------------------------------------------------------------------

/** Cron extensions NCrontab lacks (L, W, #, ?, H), and names in a field that has none or other ones. */
function usesSyntaxNcrontabLacks(field: string, kind: FieldKind | undefined): boolean {
  if (!/^[0-9A-Za-z*,/-]+$/u.test(field)) return true;
  const words = field.match(/[A-Za-z]+/gu) ?? [];
  return words.some((word) => !kind?.names?.some((name) => name.startsWith(word.toUpperCase())));
}

/** The schedule, or the reason NCrontab refuses it or we do. */
function parseNcrontab(ncrontab: string): Schedule | string {
  const fields = ncrontab.split(" ");
  if (fields.length !== 6) return "NCRONTAB has 6 fields";
  const values: number[][] = [];
  for (const [index, kind] of FIELD_KINDS.entries()) {
    const parsed = parseField(fields[index] ?? "", kind);
    if (typeof parsed === "string") return parsed;
    values.push(parsed);
  }
  const [seconds = [], minutes = [], hours = [], days = [], months = [], daysOfWeek = []] = values;
  return { seconds, minutes, hours, days, months, daysOfWeek };
}

// A list item: `*`, a value or a range, each optionally stepped. NCrontab's own parser is looser (it reads
// `*/-1` as `*`); anything it would read but this does not match is refused.
const ITEM = /^(?:(?<star>\*)|(?<first>[0-9A-Za-z]+)(?:-(?<last>[0-9A-Za-z]+))?)(?:\/(?<step>\d+))?$/u;

/** The field's values, ascending, or the reason it is refused. */
function parseField(field: string, kind: FieldKind): number[] | string {
  const values = new Set<number>();
  for (const item of field.split(",")) {
    if (item === "") return `the ${kind.name} field "${field}" has an empty list item`;
    const groups = ITEM.exec(item)?.groups;
    if (!groups) return `"${item}" in the ${kind.name} field is not *, a value or a range (each optionally /step)`;
    const step = groups.step === undefined ? 1 : Number(groups.step);
    if (step === 0) return `step 0 in "${item}" (NCrontab reads it as step 1)`;
    let first = kind.min;
    let last = kind.max;
    if (!groups.star) {
      const firstValue = parseValue(groups.first ?? "", kind);
      if (typeof firstValue === "string") return firstValue;
      // NCrontab reads `5/10` as 5 to the end of the field, every 10th.
      const lastValue = groups.last !== undefined ? parseValue(groups.last, kind) : groups.step !== undefined ? kind.max : firstValue;
      if (typeof lastValue === "string") return lastValue;
      if (firstValue > lastValue) {
        // NCrontab swaps the ends (CrontabField.Accumulate), which is never what a wrapping range means.
        const wrapped = `${firstValue}-${kind.max},${kind.min}-${lastValue}`;
        return `the range "${item}" runs backwards (NCrontab would read ${lastValue}-${firstValue}); for one that wraps write ${wrapped}`;
      }
      [first, last] = [firstValue, lastValue];
    }
    for (let value = first; value <= last; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseValue(token: string, kind: FieldKind): number | string {
  if (/^\d+$/u.test(token)) {
    const value = Number(token);
    if (value >= kind.min && value <= kind.max) return value;
    const sunday = kind.name === "day-of-week" && value === 7 ? "; Sunday is 0 or SUN" : "";
    return `${token} is out of range for the ${kind.name} field (${kind.min}-${kind.max})${sunday}`;
  }
  const upper = token.toUpperCase();
  const names = kind.names ?? [];
  const index = /^[A-Z]+$/u.test(upper) ? names.findIndex((name) => name.startsWith(upper)) : -1;
  if (index < 0) return `"${token}" in the ${kind.name} field is neither a number nor a name`;
  // NCrontab takes any prefix of a full name (CrontabFieldImpl.ParseValue), "J" for January: we take three letters.
  if (upper.length !== 3) return `write "${token}" as ${names[index]?.slice(0, 3)}: names take their first three letters`;
  return kind.min + index;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether some month of the schedule has one of its days (Feb 29 counts). Every such date falls on each day of the week within 400 years. */
function hasCalendarDate(schedule: Schedule): boolean {
  return schedule.months.some((month) => schedule.days.some((day) => day <= (DAYS_IN_MONTH[month - 1] ?? 0)));
}

function validSchedule(ncrontab: string): Schedule {
  const parsed = parseNcrontab(ncrontab);
  if (typeof parsed === "string") throw new Error(`"${ncrontab}" is not a valid NCRONTAB: ${parsed}`);
  return parsed;
}

// Evaluation ------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
// The Gregorian calendar repeats every 400 years; a schedule that has not fired in that span never will.
const SEARCH_DAYS = 146_097 + 1;

const matchesDate = (schedule: Schedule, day: Date) =>
  schedule.months.includes(day.getUTCMonth() + 1) && schedule.days.includes(day.getUTCDate()) && schedule.daysOfWeek.includes(day.getUTCDay());

/** The first occurrence strictly after `after`. NCrontab ignores the base time's milliseconds, and occurrences are whole seconds. */
function firstAfter(schedule: Schedule, after: Date): Date | undefined {
  const from = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  let dayStart = from - mod(from, DAY_MS);
  let earliestSecond = (from - dayStart) / 1000;
  for (let day = 0; day < SEARCH_DAYS; day++, dayStart += DAY_MS, earliestSecond = 0) {
    if (!matchesDate(schedule, new Date(dayStart))) continue;
    const second = firstSecondOfDay(schedule, earliestSecond);
    if (second !== undefined) return new Date(dayStart + second * 1000);
  }
  return undefined;
}

/** The last occurrence at or before `at`. */
function lastAtOrBefore(schedule: Schedule, at: Date): Date | undefined {
  const until = Math.floor(at.getTime() / 1000) * 1000;
  let dayStart = until - mod(until, DAY_MS);
  let latestSecond = (until - dayStart) / 1000;
  for (let day = 0; day < SEARCH_DAYS; day++, dayStart -= DAY_MS, latestSecond = 86_399) {
    if (!matchesDate(schedule, new Date(dayStart))) continue;
    const second = lastSecondOfDay(schedule, latestSecond);
    if (second !== undefined) return new Date(dayStart + second * 1000);
  }
  return undefined;
}

/** The schedule's first second of a day (0-86399) at or after `earliest`. */
function firstSecondOfDay(schedule: Schedule, earliest: number): number | undefined {
  for (const hour of schedule.hours) {
    if ((hour + 1) * 3600 <= earliest) continue;
    for (const minute of schedule.minutes) {
      const minuteStart = hour * 3600 + minute * 60;
      if (minuteStart + 60 <= earliest) continue;
      const second = schedule.seconds.find((value) => minuteStart + value >= earliest);
      if (second !== undefined) return minuteStart + second;
    }
  }
  return undefined;
}

/** The schedule's last second of a day at or before `latest`. */
function lastSecondOfDay(schedule: Schedule, latest: number): number | undefined {
  for (const hour of schedule.hours.toReversed()) {
    if (hour * 3600 > latest) continue;
    for (const minute of schedule.minutes.toReversed()) {
      const minuteStart = hour * 3600 + minute * 60;
      if (minuteStart > latest) continue;
      const second = schedule.seconds.findLast((value) => minuteStart + value <= latest);
      if (second !== undefined) return minuteStart + second;
    }
  }
  return undefined;
}

const mod = (value: number, divisor: number) => ((value % divisor) + divisor) % divisor;
