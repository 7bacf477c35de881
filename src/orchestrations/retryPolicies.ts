/**
 * Retry policies for activities, carried out by the Durable extension. Activities throw only for
 * transient faults (throttling, 5xx, resets, ContainerGroupTransitioning), so these retry exactly those.
 * The SDK already retried each call up to 3 times (honouring Retry-After) before an activity throws.
 */
import * as df from "durable-functions";

function policy(firstRetryMs: number, maxAttempts: number, maxIntervalMs: number): df.RetryOptions {
  const options = new df.RetryOptions(firstRetryMs, maxAttempts);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = maxIntervalMs;
  return options;
}

/**
 * ARM reads and writes: waits of 5, 10, 20, 40 and 60 s between 6 attempts, and the extension's timer
 * after the last failure, so about three minutes before an activity's failure reaches the orchestration.
 */
export const armCallRetry = policy(5_000, 6, 60_000);

/**
 * Deleting is what keeps a failed run from costing money, so it keeps trying for about half an hour
 * (10 s doubling up to 5 minutes, 10 attempts) before the run reports the group as not cleaned up.
 */
export const deleteRetry = policy(10_000, 10, 300_000);

/**
 * A webhook that is down: waits of 30 s, 1 and 2 minutes between 4 tries (about 4 minutes). A run's
 * notification is not worth holding its end for longer; a failure is recorded on the run.
 */
export const notifyRetry = policy(30_000, 4, 120_000);
