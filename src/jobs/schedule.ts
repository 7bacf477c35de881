/**
 * @module
 * Job schedules. Authors write Airflow's presets (`@daily`), a 5-field cron (as in a DAG) or a 6-field
 * NCRONTAB (as the Functions timer trigger wants); everything is normalised to NCRONTAB, evaluated in
 * UTC: time zones are not supported for timer triggers on Linux Consumption and Flex Consumption
 * (durable-functions.md §14).
 */
import { CronExpressionParser } from "cron-parser";

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

// cron-parser also understands L, #, H and ?, which the Functions host's NCRONTAB does not: allow only
// digits, * , / - and the three-letter month and day names.
const NAMES = /JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT/giu;
const isNcrontabField = (field: string) => /^[\d*,/-]+$/u.test(field.replace(NAMES, "0"));

export type ScheduleParse = { ok: true; ncrontab: string } | { ok: false; reason: string };

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
  const bad = fields.find((field) => !isNcrontabField(field));
  if (bad !== undefined) return { ok: false, reason: `field "${bad}" uses syntax NCRONTAB does not support` };
  const ncrontab = (fields.length === 5 ? ["0", ...fields] : fields).join(" ");
  try {
    CronExpressionParser.parse(ncrontab, { tz: "UTC" });
  } catch (error) {
    return { ok: false, reason: `"${trimmed}" is not a valid schedule: ${(error as Error).message}` };
  }
  return { ok: true, ncrontab };
}

/** The next `count` fire times strictly after `after`. */
export function nextOccurrences(ncrontab: string, after: Date, count: number): Date[] {
  const expression = CronExpressionParser.parse(ncrontab, { tz: "UTC", currentDate: after });
  return expression.take(count).map((date) => date.toDate());
}

/**
 * The schedule slot a firing at `firedAt` belongs to. Normally the latest occurrence at or before it, so
 * a past-due firing after downtime maps to the most recent slot only (catchup=False). But timers can fire
 * a little early (milliseconds; Azure/azure-functions-host#7398): a firing just before an occurrence,
 * within a minute and less than half the schedule's period, belongs to that occurrence.
 */
export function scheduleSlot(ncrontab: string, firedAt: Date): Date {
  const fromJustAfter = CronExpressionParser.parse(ncrontab, { tz: "UTC", currentDate: new Date(firedAt.getTime() + 1) });
  const previous = fromJustAfter.prev().toDate();
  const next = CronExpressionParser.parse(ncrontab, { tz: "UTC", currentDate: firedAt }).next().toDate();
  const earlyBy = next.getTime() - firedAt.getTime();
  const tolerance = Math.min(EARLY_FIRING_TOLERANCE_MS, (next.getTime() - previous.getTime()) / 2);
  return earlyBy > 0 && earlyBy <= tolerance ? next : previous;
}

const EARLY_FIRING_TOLERANCE_MS = 60_000;
