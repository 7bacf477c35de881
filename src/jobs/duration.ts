/**
 * Durations in job definitions are written the way people say them: "90s", "1m", "1h30m", "24h", "2d".
 */
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const DURATION = /^(?:\d+(?:ms|d|h|m|s))+$/u;
const PART = /(\d+)(ms|d|h|m|s)/gu;

/**
 * Digits one number of a duration may have. The longest useful one is six days in milliseconds
 * ("518400000ms", 9 digits); a longer number is refused before it is converted, so no duration
 * becomes Infinity or loses precision (a 400-digit "s" did, and was stored as null).
 */
export const MAX_DURATION_DIGITS = 9;
/** Characters a duration may have, spaces included: "1d 23h 59m 59s 999ms" is 20. */
export const MAX_DURATION_LENGTH = 40;

export type DurationRead = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: "syntax" | "tooLong" | "tooManyDigits" };

/**
 * Reads `text` as a duration. A result is a finite, non-negative whole number of milliseconds; how
 * large a field may be is the field's own rule (src/jobs/definition.ts).
 */
export function readDuration(text: string): DurationRead {
  if (text.length > MAX_DURATION_LENGTH) return { ok: false, reason: "tooLong" };
  const compact = text.replace(/\s+/gu, "");
  if (!DURATION.test(compact)) return { ok: false, reason: "syntax" };
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(PART)) {
    if (amount!.length > MAX_DURATION_DIGITS) return { ok: false, reason: "tooManyDigits" };
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return { ok: true, ms: total };
}

/** Milliseconds in `text`, or undefined when it is not a duration such as "1h30m" (see {@link readDuration}). */
export function parseDuration(text: string): number | undefined {
  const read = readDuration(text);
  return read.ok ? read.ms : undefined;
}

/** "1h30m" for 5_400_000: the inverse of {@link parseDuration}, for messages and listings. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let text = "";
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      text += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return text;
}
