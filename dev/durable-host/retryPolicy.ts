/**
 * The retry arithmetic the Durable extension applies to CallActivityWithRetry / CallSubOrchestratorWithRetry.
 *
 * Options are read like the extension's `RetryOptionsConverter` (milliseconds, integers, absent fields keep
 * the .NET defaults: coefficient 1, no max interval, no timeout), and delays are computed like
 * DurableTask.Core's `RetryInterceptor.ComputeNextDelay`.
 */
import type { WireRetryOptions } from "./orchestratorState";

export interface RetryPolicy {
  firstRetryIntervalMs: number;
  maxNumberOfAttempts: number;
  backoffCoefficient: number;
  /** Infinity when unset (TimeSpan.MaxValue). */
  maxRetryIntervalMs: number;
  /** Infinity when unset (TimeSpan.MaxValue). */
  retryTimeoutMs: number;
}

/** `JToken.Value<int>()` truncates toward zero. */
function asInt(value: number): number {
  return Math.trunc(value);
}

export function toRetryPolicy(options: WireRetryOptions | undefined): RetryPolicy {
  if (options === undefined || typeof options.firstRetryIntervalInMilliseconds !== "number") {
    throw new Error("Invalid JSON. Must contain field firstRetryIntervalInMilliseconds");
  }
  if (typeof options.maxNumberOfAttempts !== "number") {
    throw new Error("Invalid JSON. Must contain field maxNumberOfAttempts");
  }
  return {
    firstRetryIntervalMs: asInt(options.firstRetryIntervalInMilliseconds),
    maxNumberOfAttempts: asInt(options.maxNumberOfAttempts),
    backoffCoefficient: typeof options.backoffCoefficient === "number" ? options.backoffCoefficient : 1,
    maxRetryIntervalMs:
      typeof options.maxRetryIntervalInMilliseconds === "number" ? asInt(options.maxRetryIntervalInMilliseconds) : Infinity,
    retryTimeoutMs: typeof options.retryTimeoutInMilliseconds === "number" ? asInt(options.retryTimeoutInMilliseconds) : Infinity,
  };
}

/**
 * Delay before the next attempt after the failure of attempt `retryCount` (0-based), or 0 when the
 * extension stops retrying because the retry timeout has passed. `now` is the orchestration time of the
 * episode that processes the failure; `firstAttemptAt` the time the retrying call was first made.
 * Interval n (1-based) = first × coefficient^(n−1), capped by the max interval.
 */
export function nextRetryDelayMs(policy: RetryPolicy, retryCount: number, firstAttemptAt: number, now: number): number {
  const expiration = policy.retryTimeoutMs === Infinity ? Infinity : firstAttemptAt + policy.retryTimeoutMs;
  if (!(now < expiration)) return 0;
  const delay = policy.firstRetryIntervalMs * Math.pow(policy.backoffCoefficient, retryCount);
  return delay < policy.maxRetryIntervalMs ? delay : policy.maxRetryIntervalMs;
}
