/**
 * How long to wait before looking at a container group again, given how long ago it was created.
 * Waiting about a tenth of the elapsed time notices a short job's exit within seconds and backs off
 * for long ones: a 10-second container costs two looks, a 24-hour one about 500 (Airflow's operator
 * looks every second). `npm run bench` prints the numbers this gives.
 */
export const FIRST_POLL_MS = 10_000;
export const MAX_POLL_MS = 180_000;

export function pollDelayMs(sinceCreatedMs: number): number {
  return Math.min(MAX_POLL_MS, Math.max(FIRST_POLL_MS, Math.round(sinceCreatedMs / 10)));
}

/** Looks per watch generation before it continues as new, keeping each history under ~900 events. */
export const POLLS_PER_GENERATION = 100;
