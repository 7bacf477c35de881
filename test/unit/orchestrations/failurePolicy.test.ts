import { describe, expect, it } from "vitest";
import { FAILURE_CLASSES } from "../../../src/jobs/definition";
import {
  classify,
  planNextAttempt,
  reasonOfCreateFailure,
  reasonOfRejection,
  retryDelayMs,
  stableHash,
} from "../../../src/orchestrations/failurePolicy";
import type { AttemptReason } from "../../../src/runs/contracts";

const ALL = { retryOn: [...FAILURE_CLASSES] };
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe("classify: every reason has a failure class or is never retried", () => {
  const table: [AttemptReason, string | undefined][] = [
    ["exitCode", "exitCode"],
    ["oomKilled", "oomKilled"],
    ["imagePull", "imagePull"],
    ["provisioningFailed", "provisioning"],
    ["unhealthy", "provisioning"],
    ["spotEvicted", "spotEvicted"],
    ["capacity", "capacity"],
    ["activityFailed", "azureUnavailable"],
    ["containerTimeout", "containerTimeout"],
    ["groupExists", "groupExists"],
    ["rejected", undefined],
    ["secretUnavailable", undefined],
    ["deletedOutside", undefined],
    ["stoppedOutside", undefined],
    ["timedOut", undefined],
  ];
  it.each(table)("%s → %s", (reason, failureClass) => {
    const classified = classify(ALL, reason);
    expect(classified.failureClass).toBe(failureClass);
    expect(classified.retryable).toBe(failureClass !== undefined);
  });

  it("retries only the classes the job's retryOn names", () => {
    expect(classify({ retryOn: ["capacity"] }, "capacity")).toEqual({ reason: "capacity", failureClass: "capacity", retryable: true });
    expect(classify({ retryOn: ["capacity"] }, "exitCode")).toEqual({ reason: "exitCode", failureClass: "exitCode", retryable: false });
  });

  it("gives an invalid definition no class even when its reason has one (InaccessibleImage at PUT)", () => {
    expect(classify(ALL, "imagePull", true)).toEqual({ reason: "imagePull", retryable: false });
  });
});

describe("reasonOfRejection: ARM's refusals of a create", () => {
  const quota = (name: string) =>
    `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota '${name}' exceeded in region 'westeurope'. Limit: '10', Usage: '10' Requested: '1'.`;
  const noCapacity = "The requested resource with '1' CPU and '1.5' GB memory is not available in the location 'westeurope' at this moment.";

  it("names quota and capacity refusals capacity (aci-rest-api.md §8)", () => {
    expect(reasonOfRejection("ContainerGroupQuotaReached", quota("ContainerGroups"), "Regular").reason).toBe("capacity");
    expect(reasonOfRejection("ServiceUnavailable", quota("ContainerGroups"), "Regular").reason).toBe("capacity");
    expect(reasonOfRejection("TooManyRequests", "throttled", "Regular").reason).toBe("capacity");
    expect(reasonOfRejection("ResourceUnavailable", noCapacity, "Regular").reason).toBe("capacity");
  });

  it("names Spot quota and Spot capacity refusals on a Spot group spotEvicted, other quotas stay capacity", () => {
    expect(reasonOfRejection("ContainerGroupQuotaReached", quota("StandardSpotCores"), "Spot").reason).toBe("spotEvicted");
    expect(reasonOfRejection("Conflict", noCapacity, "Spot").reason).toBe("spotEvicted");
    expect(reasonOfRejection("ContainerGroupQuotaReached", quota("ContainerGroups"), "Spot").reason).toBe("capacity");
    expect(reasonOfRejection("TooManyRequests", "throttled", "Spot").reason).toBe("capacity");
  });

  it("takes InaccessibleImage (alone or wrapped) for an invalid definition named imagePull", () => {
    expect(reasonOfRejection("InaccessibleImage", "The image 'x' ... is not accessible.", "Regular")).toEqual({ reason: "imagePull", invalidDefinition: true });
    expect(reasonOfRejection("MultipleErrorsOccurred", "Multiple error occurred: 'BadRequest':'InaccessibleImage':'m'.", "Regular").reason).toBe("imagePull");
  });

  it("names an identity without a role forbidden and one without a usable token credentialUnavailable, never retried", () => {
    for (const code of ["AuthorizationFailed", "LinkedAuthorizationFailed", "Http403", "ForbiddenByRbac", "ForbiddenByPolicy"]) {
      expect(reasonOfRejection(code, "no write permission", "Regular"), code).toEqual({ reason: "forbidden", invalidDefinition: false });
      expect(classify({ retryOn: [...FAILURE_CLASSES] }, "forbidden").retryable).toBe(false);
    }
    for (const code of ["CredentialUnavailable", "InvalidAuthenticationToken", "InvalidAuthenticationTokenTenant", "ExpiredAuthenticationToken", "AuthenticationFailed", "Http401"]) {
      expect(reasonOfRejection(code, "token refused", "Spot"), code).toEqual({ reason: "credentialUnavailable", invalidDefinition: false });
    }
    expect(classify({ retryOn: [...FAILURE_CLASSES] }, "credentialUnavailable").retryable).toBe(false);
  });

  it("rejects anything else, never retried", () => {
    expect(reasonOfRejection("InvalidRequestContent", "bad", "Spot").reason).toBe("rejected");
    expect(reasonOfRejection("InvalidContainerGroupName", "bad name", "Regular").reason).toBe("rejected");
  });
});

describe("reasonOfCreateFailure: a create that kept failing with transient faults", () => {
  it("is capacity when ARM kept throttling or answering ServiceUnavailable, else Azure was unreachable", () => {
    expect(reasonOfCreateFailure("Activity function 'createContainerGroup' failed: ServiceUnavailable", "Regular")).toBe("capacity");
    expect(reasonOfCreateFailure("Too Many Requests", "Regular")).toBe("capacity");
    expect(reasonOfCreateFailure("connect ECONNREFUSED 127.0.0.1:443", "Regular")).toBe("activityFailed");
    expect(reasonOfCreateFailure("quota 'StandardSpotCores' exceeded", "Spot")).toBe("spotEvicted");
    // A busy Key Vault while resolving the job's secrets is not ACI capacity.
    expect(reasonOfCreateFailure("Key Vault could not be read for secret db-password (503 ServiceUnavailable)", "Regular")).toBe("activityFailed");
  });
});

describe("stableHash", () => {
  it("is 32-bit FNV-1a (published test vectors)", () => {
    expect(stableHash("")).toBe(0x811c9dc5);
    expect(stableHash("a")).toBe(0xe40c292c);
    expect(stableHash("foobar")).toBe(0xbf9cf968);
  });
});

describe("retryDelayMs: Airflow's TaskInstance.next_retry_datetime", () => {
  const fixed = { retryDelay: 5 * MINUTE, retryExponentialBackoff: false, maxRetryDelay: MINUTE };

  it("waits retry_delay without backoff, every time, and Airflow does not cap it by max_retry_delay then", () => {
    expect([2, 3, 4, 5].map((next) => retryDelayMs(fixed, "run-1", next))).toEqual([5 * MINUTE, 5 * MINUTE, 5 * MINUTE, 5 * MINUTE]);
  });

  it("with backoff waits min_backoff + hash % min_backoff seconds, min_backoff = ceil(retry_delay · 2^(try − 2))", () => {
    const job = { retryDelay: 10 * SECOND, retryExponentialBackoff: true, maxRetryDelay: 86_400 * SECOND };
    const runId = "daily_report-20260101T000000Z";
    const sequence = [2, 3, 4, 5, 6].map((next) => retryDelayMs(job, runId, next));
    const expected = [2, 3, 4, 5, 6].map((next) => {
      const minBackoff = 10 * 2 ** (next - 2);
      return (minBackoff + (stableHash(`${runId}#${next}`) % minBackoff)) * SECOND;
    });
    expect(sequence).toEqual(expected);
    // Each wait lies in [min_backoff, 2·min_backoff): 10-20 s, 20-40 s, 40-80 s, ...
    sequence.forEach((delay, index) => {
      const minBackoff = 10 * SECOND * 2 ** index;
      expect(delay).toBeGreaterThanOrEqual(minBackoff);
      expect(delay).toBeLessThan(2 * minBackoff);
    });
    // Deterministic: the same run and try always waits the same; another run is jittered differently.
    expect([2, 3, 4, 5, 6].map((next) => retryDelayMs(job, runId, next))).toEqual(sequence);
    expect([2, 3, 4, 5, 6].map((next) => retryDelayMs(job, "another-run", next))).not.toEqual(sequence);
  });

  it("rounds min_backoff up to whole seconds and to at least 1 s", () => {
    const job = { retryDelay: 0, retryExponentialBackoff: true, maxRetryDelay: 86_400 * SECOND };
    expect(retryDelayMs(job, "r", 2)).toBe(1 * SECOND);
    const half = { ...job, retryDelay: 500 };
    // ceil(0.5) = 1, so the wait is 1 s + (hash % 1) = 1 s.
    expect(retryDelayMs(half, "r", 2)).toBe(1 * SECOND);
  });

  it("caps the backoff at 24 hours, then at max_retry_delay", () => {
    const job = { retryDelay: 5 * MINUTE, retryExponentialBackoff: true, maxRetryDelay: 30 * MINUTE };
    expect(retryDelayMs(job, "r", 2)).toBeLessThan(10 * MINUTE);
    expect(retryDelayMs(job, "r", 6)).toBe(30 * MINUTE);
    expect(retryDelayMs({ ...job, maxRetryDelay: 7 * 86_400 * SECOND }, "r", 20)).toBe(86_400 * SECOND);
  });
});

describe("planNextAttempt: retry budget and Spot fallback", () => {
  const job = { retries: 0, retryDelay: MINUTE, retryExponentialBackoff: false, maxRetryDelay: 86_400 * SECOND, spotFallback: true };

  it("after a Spot eviction runs one attempt at Regular at once, even with retries 0, without using a retry", () => {
    const plan = planNextAttempt(job, "r", { attempt: 1, reason: "spotEvicted", retryable: false, priority: "Spot" }, 0);
    expect(plan).toEqual({ priority: "Regular", countsAsRetry: false, delayMs: 0 });
  });

  it("falls back only once: a Regular attempt is never evicted, and its failure uses the job's retries", () => {
    expect(planNextAttempt(job, "r", { attempt: 2, reason: "exitCode", retryable: true, priority: "Regular" }, 0)).toBeNull();
    expect(planNextAttempt({ ...job, retries: 1 }, "r", { attempt: 2, reason: "exitCode", retryable: true, priority: "Regular" }, 0)).toEqual({
      priority: "Regular",
      countsAsRetry: true,
      delayMs: MINUTE,
    });
  });

  it("without spotFallback retries an eviction at Spot per the job's policy", () => {
    const noFallback = { ...job, spotFallback: false, retries: 2 };
    expect(planNextAttempt(noFallback, "r", { attempt: 1, reason: "spotEvicted", retryable: true, priority: "Spot" }, 0)).toEqual({
      priority: "Spot",
      countsAsRetry: true,
      delayMs: MINUTE,
    });
    expect(planNextAttempt(noFallback, "r", { attempt: 3, reason: "spotEvicted", retryable: true, priority: "Spot" }, 2)).toBeNull();
  });

  it("never retries a failure that is not retryable", () => {
    expect(planNextAttempt({ ...job, retries: 5 }, "r", { attempt: 1, reason: "rejected", retryable: false, priority: "Regular" }, 0)).toBeNull();
  });
});
