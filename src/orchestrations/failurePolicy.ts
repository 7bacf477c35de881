/**
 * @module
 * The run's failure semantics as pure functions: which failure class an attempt's reason belongs to,
 * whether the job's policy retries it, how long to wait (Airflow's formula), and when a Spot group falls
 * back to Regular. No I/O and no clock, so the orchestration stays deterministic and the rules are unit-tested.
 */
import type { FailureClass, JobSpec } from "../jobs/definition";
import type { AttemptReason } from "../runs/contracts";

export type Priority = "Regular" | "Spot";

/**
 * The class of each reason, or null for outcomes retrying cannot fix: a definition ACI refuses, a missing
 * secret, a group deleted or stopped outside aci-jobs, the run's own timeout (src/jobs/definition.ts).
 */
const CLASS_OF_REASON: Record<AttemptReason, FailureClass | null> = {
  exitCode: "exitCode",
  oomKilled: "oomKilled",
  imagePull: "imagePull",
  provisioningFailed: "provisioning",
  unhealthy: "provisioning",
  spotEvicted: "spotEvicted",
  capacity: "capacity",
  activityFailed: "azureUnavailable",
  containerTimeout: "containerTimeout",
  groupExists: "groupExists",
  rejected: null,
  secretUnavailable: null,
  credentialUnavailable: null,
  forbidden: null,
  deletedOutside: null,
  stoppedOutside: null,
  timedOut: null,
};

export interface Classified {
  readonly reason: AttemptReason;
  /** Absent when retrying cannot help. */
  readonly failureClass?: FailureClass;
  readonly retryable: boolean;
}

/**
 * Classifies a failure for the job's policy. `invalidDefinition` marks a failure that is the definition's
 * fault even though its reason has a class (InaccessibleImage at PUT: the image or its credential is wrong).
 */
export function classify(job: Pick<JobSpec, "retryOn">, reason: AttemptReason, invalidDefinition = false): Classified {
  const failureClass = invalidDefinition ? null : CLASS_OF_REASON[reason];
  if (failureClass === null) return { reason, retryable: false };
  return { reason, failureClass, retryable: job.retryOn.includes(failureClass) };
}

// aci-rest-api.md §8: ACI's refusals for quota and regional capacity, which come and go.
const CAPACITY_CODES = new Set(["ContainerGroupQuotaReached", "ServiceUnavailable", "TooManyRequests"]);
const CAPACITY_MESSAGE = /requested resource\b.*\bis not available|quota '[A-Za-z0-9]+' exceeded/iu;
/**
 * What only a Spot group can hit: its own core quota (StandardSpotCores, aci-rest-api.md §8, §10) or no
 * capacity in the region. Spot capacity refusals have no documented code, so the message decides; quota on
 * group count or Standard cores, throttling and ServiceUnavailable are not Spot's and stay `capacity`.
 */
const SPOT_CAPACITY = /quota 'StandardSpotCores'|requested resource\b.*\bis not available/iu;

/** ACI's quota or regional-capacity wording, which can also arrive after the 201 (aci-rest-api.md §8). */
export function isCapacityMessage(message: string): boolean {
  return CAPACITY_MESSAGE.test(message);
}

export function isSpotCapacityMessage(message: string): boolean {
  return SPOT_CAPACITY.test(message);
}

/** The activities' code for an identity that cannot get a token (src/credentials.ts). */
const CREDENTIAL_UNAVAILABLE = "CredentialUnavailable";
// ARM's 401 codes: the token itself was refused (wrong tenant, audience, expired), so the credential is at fault.
const TOKEN_REFUSED_CODES = new Set(["InvalidAuthenticationToken", "InvalidAuthenticationTokenAudience", "InvalidAuthenticationTokenTenant", "ExpiredAuthenticationToken", "AuthenticationFailed", "Http401"]);
// ARM's 403 codes, and Key Vault's inner codes for a caller without a role or access policy.
const NOT_ALLOWED_CODES = new Set(["AuthorizationFailed", "LinkedAuthorizationFailed", "Http403", "ForbiddenByRbac", "ForbiddenByPolicy"]);

/**
 * The identity's own failures, from a create refused by ARM or a secret Key Vault would not give: no
 * token, or no role. Neither is retried: every request would fail the same way until someone fixes it.
 */
export function reasonOfIdentityFailure(code: string): "credentialUnavailable" | "forbidden" | undefined {
  if (code === CREDENTIAL_UNAVAILABLE || TOKEN_REFUSED_CODES.has(code)) return "credentialUnavailable";
  if (NOT_ALLOWED_CODES.has(code)) return "forbidden";
  return undefined;
}

/**
 * An ARM refusal of the create (a 4xx that retrying now will not fix), in the run's terms. Capacity and
 * quota refusals are retryable per policy; on a Spot group they are Spot capacity refusals, which the Spot
 * fallback answers. InaccessibleImage means the image or its credential is wrong: an invalid definition.
 * An identity without a token or a role is `credentialUnavailable` or `forbidden`. Anything else (400
 * InvalidRequestContent...) is `rejected`. None of these three is ever retried.
 */
export function reasonOfRejection(code: string, message: string, priority: Priority): { reason: AttemptReason; invalidDefinition: boolean } {
  const identity = reasonOfIdentityFailure(code);
  if (identity) return { reason: identity, invalidDefinition: false };
  if (code === "InaccessibleImage" || (code === "MultipleErrorsOccurred" && /InaccessibleImage/u.test(message))) {
    return { reason: "imagePull", invalidDefinition: true };
  }
  if (CAPACITY_CODES.has(code) || CAPACITY_MESSAGE.test(message)) {
    return { reason: priority === "Spot" && SPOT_CAPACITY.test(message) ? "spotEvicted" : "capacity", invalidDefinition: false };
  }
  return { reason: "rejected", invalidDefinition: false };
}

/**
 * The create activity kept failing with transient faults (the SDK's and Durable's retries spent). When
 * those were throttling or ServiceUnavailable (quota tripped across regions, aci-rest-api.md §8) it is a
 * capacity problem; otherwise Azure was not reachable.
 */
export function reasonOfCreateFailure(message: string, priority: Priority): AttemptReason {
  // Key Vault being busy (503/429 while resolving the job's secrets) says nothing about ACI's capacity.
  if (/Key Vault/u.test(message)) return "activityFailed";
  if (/ServiceUnavailable|TooManyRequests|Too Many Requests|\b429\b/u.test(message) || CAPACITY_MESSAGE.test(message)) {
    return priority === "Spot" && SPOT_CAPACITY.test(message) ? "spotEvicted" : "capacity";
  }
  return "activityFailed";
}

/** Airflow's MAX_RETRY_DELAY: 24 hours, the cap of the backoff before max_retry_delay applies. */
const AIRFLOW_MAX_RETRY_DELAY_S = 86_400;

/**
 * How long to wait before attempt `nextAttempt` (2 for the first retry), as Airflow's
 * TaskInstance.next_retry_datetime computes it. Without backoff: retry_delay (Airflow does not apply
 * max_retry_delay then). With backoff: min_backoff = ceil(retry_delay · 2^(try − 2)) seconds (at least 1),
 * plus a deterministic jitter `hash % min_backoff`, capped at 24 h and then at max_retry_delay. Airflow
 * hashes dag/task/date/try with SHA-1; here a small FNV-1a of the run id and the try, so the same run
 * always waits the same and runs that fail together do not retry in step.
 */
export function retryDelayMs(job: Pick<JobSpec, "retryDelay" | "retryExponentialBackoff" | "maxRetryDelay">, runId: string, nextAttempt: number): number {
  if (!job.retryExponentialBackoff) return job.retryDelay;
  const minBackoff = Math.max(1, Math.ceil((job.retryDelay / 1000) * 2 ** (nextAttempt - 2)));
  const jittered = minBackoff + (stableHash(`${runId}#${nextAttempt}`) % minBackoff);
  return Math.min(job.maxRetryDelay, Math.min(jittered, AIRFLOW_MAX_RETRY_DELAY_S) * 1000);
}

/** 32-bit FNV-1a over the UTF-16 code units: small, pure and the same on every replay. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export interface NextAttemptPlan {
  /** Priority of the next attempt. */
  readonly priority: Priority;
  /** Whether the next attempt uses up one of the job's `retries`. */
  readonly countsAsRetry: boolean;
  /** Wait before it (ms). */
  readonly delayMs: number;
}

export interface FinishedAttempt {
  readonly attempt: number;
  readonly reason?: AttemptReason;
  readonly retryable: boolean;
  readonly priority: Priority;
}

/**
 * Whether another attempt runs after a failed one, and how. A Spot eviction (or Spot capacity refusal) with
 * `spotFallback` runs the next attempt at once at Regular priority, and that attempt does not use up the
 * job's retries (peers.md §4 item 14: an eviction is not the job's failure, as Kubernetes' podFailurePolicy
 * Ignore on DisruptionTarget), so even `retries: 0` gets one Regular attempt. It happens once per run: a
 * Regular group is never evicted. Otherwise the job's policy decides: a retryable class and retries left.
 */
export function planNextAttempt(
  job: Pick<JobSpec, "retries" | "retryDelay" | "retryExponentialBackoff" | "maxRetryDelay" | "spotFallback">,
  runId: string,
  finished: FinishedAttempt,
  retriesUsed: number,
): NextAttemptPlan | null {
  if (job.spotFallback && finished.reason === "spotEvicted" && finished.priority === "Spot") {
    return { priority: "Regular", countsAsRetry: false, delayMs: 0 };
  }
  if (!finished.retryable || retriesUsed >= job.retries) return null;
  return { priority: finished.priority, countsAsRetry: true, delayMs: retryDelayMs(job, runId, finished.attempt + 1) };
}
