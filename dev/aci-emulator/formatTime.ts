/** The timestamp shapes the real service uses, each copied from a recording or an official example. */

/** `2022-11-11T19:33:44.217Z`: container `startTime`/`finishTime` (ContainerGroupsGetPriority.json). */
export function formatIsoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2022-11-11T19:28:22Z`: event `firstTimestamp`/`lastTimestamp` (ContainerGroupsGetPriority.json). */
export function formatIsoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/u, "Z");
}

/** `2022-07-11T08:15:33.3405664Z`: .NET's seven fractional digits, as in the async-operation `startTime` (aci-rest-api.md §4.1). */
export function formatIsoTicks(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/u, "0000Z");
}

/**
 * `2026-11-28T02:36:08.123456789Z`: Docker's fixed nine-digit RFC 3339 log timestamp (`docker logs -t`).
 * The clock has millisecond resolution, so `extraNanos` (0–999,999) supplies the sub-millisecond digits.
 */
export function formatLogTimestamp(ms: number, extraNanos: number): string {
  const iso = new Date(ms).toISOString();
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}.${millis}${String(extraNanos).padStart(6, "0")}Z`;
}
