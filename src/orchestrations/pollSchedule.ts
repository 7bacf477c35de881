import { ACI_LOG_LIMITS } from "../aci/logs";

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

/** How fast the container wrote its log between the last two looks. */
export interface OutputRate {
  readonly bytesPerSecond: number;
  readonly linesPerSecond: number;
}

/** The shortest wait between looks, however fast a container writes: each look is two ARM reads. */
export const MIN_POLL_MS = 2_000;

/** host.json's `maxQueuePollingInterval` (test/unit/orchestrations/pollSchedule.test.ts keeps the two in step). */
export const MAX_QUEUE_POLLING_MS = 10_000;

/**
 * How late a durable timer of `delayMs` may reach the watch on the Azure Storage provider. Scheduling the
 * timer resets its control queue's polling to 50 ms, and each empty poll then waits about as long as all
 * the earlier ones together (×0.8–1.2 jitter), up to `maxQueuePollingInterval` (DurableTask.AzureStorage
 * BackoffPollingHelper; durable-functions.md §21). So a timer is picked up at most about 1.5× its delay
 * after it became visible, and never more than the maximum interval late.
 */
export function timerLatenessMs(delayMs: number): number {
  return Math.min(MAX_QUEUE_POLLING_MS, Math.round(LATENESS_PER_DELAY * delayMs) + LATENESS_MARGIN_MS);
}

const LATENESS_PER_DELAY = 1.5;
const LATENESS_MARGIN_MS = 100;

/**
 * Read the log before the container can have written half of what ACI keeps once it stops (16 KB / 1,000
 * lines): if it stops just before the next look, nothing written since this one is lost. Half leaves room
 * for a container that speeds up.
 */
const SHARE_OF_KEPT_LOG = 0.5;

/**
 * The wait before the next look: the age schedule above, shortened for a container that writes fast, so
 * that what it writes between two looks, the timer's lateness included, stays well inside what ACI keeps
 * after a stop. Never below {@link MIN_POLL_MS}; a container faster than that can outrun the watch, and
 * the run then says how many lines were lost.
 */
export function nextLookDelayMs(sinceCreatedMs: number, rate: OutputRate | null): number {
  const byAge = pollDelayMs(sinceCreatedMs);
  if (rate === null || (rate.bytesPerSecond <= 0 && rate.linesPerSecond <= 0)) return byAge;
  const secondsToFill = Math.min(
    rate.bytesPerSecond > 0 ? (SHARE_OF_KEPT_LOG * ACI_LOG_LIMITS.stoppedBytes) / rate.bytesPerSecond : Number.POSITIVE_INFINITY,
    rate.linesPerSecond > 0 ? (SHARE_OF_KEPT_LOG * ACI_LOG_LIMITS.stoppedLines) / rate.linesPerSecond : Number.POSITIVE_INFINITY,
  );
  const budget = secondsToFill * 1_000;
  // The longest delay whose delivery still falls within the budget: early on the polling ramp the timer is
  // late by up to 1.5× its delay; past the ramp, by up to the maximum polling interval.
  const onRamp = (budget - LATENESS_MARGIN_MS) / (1 + LATENESS_PER_DELAY);
  const pastRamp = budget - MAX_QUEUE_POLLING_MS;
  const byRate = Math.floor(Math.max(onRamp, pastRamp));
  return Math.max(MIN_POLL_MS, Math.min(byAge, byRate));
}

/** Looks per watch generation before it continues as new, keeping each history under ~900 events. */
export const POLLS_PER_GENERATION = 100;
