/**
 * @module
 * ARM retries that match the fault. The SDK's own policy retries 5xx, 408, resets and a 429 that names a
 * Retry-After, but not a 429 without one nor 409 ContainerGroupTransitioning ("retry later",
 * aci-rest-api.md §8), which then reached the activity after a single request. Here every transient fault
 * gets the same budget (1 + `maxRetries` requests, exponential backoff with jitter, Retry-After honoured),
 * and the caller learns whether a request went out and its answer was lost, which a DELETE needs to know.
 */
import { isUnanswered, toAciError, type AciError } from "./errors";

export interface RetrySettings {
  /** Requests after the first for one call. Default 3, as the SDK's. */
  readonly maxRetries?: number;
  /** First backoff; doubles per retry. Default 1 s, as the SDK's. */
  readonly retryDelayInMs?: number;
  /**
   * Longest wait between two requests. A Retry-After longer than this is not waited out inside an
   * activity: the fault goes to Durable, whose retry policy waits on a durable timer instead. Default 30 s.
   */
  readonly maxRetryDelayInMs?: number;
  /** Told of each retry before its wait, so that nobody watches a silent minute (the activities log it). */
  readonly onRetry?: (retry: ArmRetry) => void;
}

export interface ArmRetry {
  /** What was tried, e.g. "PUT container group job-1". */
  readonly operation: string;
  readonly error: AciError;
  /** 1 for the first retry. */
  readonly retry: number;
  readonly maxRetries: number;
  readonly delayMs: number;
}

export interface TryOutcome {
  /** A request was sent and no answer came back (reset, timeout): it may have been carried out. */
  readonly unanswered: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call` until it succeeds, fails for good, or the budget is spent; the last failure is thrown as an
 * {@link AciError}. `call` gets what earlier tries of this call saw.
 */
export async function withArmRetries<T>(settings: RetrySettings, operation: string, call: (earlier: TryOutcome) => Promise<T>): Promise<T> {
  const maxRetries = settings.maxRetries ?? 3;
  const baseDelay = settings.retryDelayInMs ?? 1_000;
  const maxDelay = settings.maxRetryDelayInMs ?? 30_000;
  let unanswered = false;
  for (let retry = 0; ; retry++) {
    try {
      return await call({ unanswered });
    } catch (thrown) {
      const error = toAciError(thrown);
      if (isUnanswered(error)) unanswered = true;
      if (!error.transient || retry >= maxRetries) throw error;
      const retryAfter = retryAfterMs(thrown);
      if (retryAfter !== undefined && retryAfter > maxDelay) throw error;
      // Jitter keeps many runs that were throttled together from coming back in step.
      const backoff = Math.min(maxDelay, baseDelay * 2 ** retry) * (0.8 + Math.random() * 0.4);
      const delayMs = retryAfter ?? backoff;
      settings.onRetry?.({ operation, error, retry: retry + 1, maxRetries, delayMs });
      await sleep(delayMs);
    }
  }
}

/** ARM's Retry-After (seconds, or an HTTP date) on a failed response, in ms. */
function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { response?: { headers?: { get?: (name: string) => string | undefined } } } | null)?.response?.headers;
  const value = typeof headers?.get === "function" ? headers.get("retry-after") : undefined;
  if (value === undefined || value === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
