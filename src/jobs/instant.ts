/**
 * @module
 * Instants as the API reads and writes them: ISO 8601 with an offset in, whole-second UTC out.
 */

// 2026-11-27T00:00:00Z, 2026-11-27T01:00:00+01:00, with optional seconds and fractions.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/u;

/** Whether `text` is an ISO 8601 time with its offset (a date alone, or a time without offset, is not). */
export function isIsoInstant(text: string): boolean {
  return INSTANT.test(text) && !Number.isNaN(Date.parse(text));
}

/** `2026-11-27T00:00:00Z`: UTC, without milliseconds when there are none. */
export function isoSeconds(at: Date): string {
  return at.toISOString().replace(/\.000Z$/u, "Z");
}
