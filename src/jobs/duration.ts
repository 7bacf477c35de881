/**
 * Durations in job definitions are written the way people say them: "90s", "1m", "1h30m", "24h", "2d".
 */
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const DURATION = /^(?:\d+(?:ms|d|h|m|s))+$/u;
const PART = /(\d+)(ms|d|h|m|s)/gu;

/** Milliseconds in `text`, or undefined when it is not a duration such as "1h30m". */
export function parseDuration(text: string): number | undefined {
  const compact = text.replace(/\s+/gu, "");
  if (!DURATION.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
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
