import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { withArmRetries } from "../../../src/aci/retry";

const FAST = { retryDelayInMs: 1, maxRetryDelayInMs: 50 };

function armError(status: number, code: string, retryAfter?: string): RestError {
  const headers = new Map(retryAfter === undefined ? [] : [["retry-after", retryAfter]]);
  return new RestError(`${code} happened`, { code, statusCode: status, response: { status, headers: { get: (name: string) => headers.get(name) } } as never });
}

/** A call that fails with each of `failures` in turn, then answers "ok". */
function failing(failures: unknown[]) {
  const seen: Array<{ unanswered: boolean }> = [];
  const call = async (earlier: { unanswered: boolean }) => {
    seen.push({ ...earlier });
    const next = failures.shift();
    if (next !== undefined) throw next;
    return "ok";
  };
  return { call, seen };
}

describe("withArmRetries", () => {
  it("gives a 429 without Retry-After and a 409 ContainerGroupTransitioning the budget of a 5xx: 1 + 3 requests", async () => {
    for (const fault of [armError(429, "TooManyRequests"), armError(409, "ContainerGroupTransitioning"), armError(503, "ServiceUnavailable")]) {
      const three = failing([fault, fault, fault]);
      await expect(withArmRetries(FAST, "GET container group g", three.call)).resolves.toBe("ok");
      expect(three.seen).toHaveLength(4);
      const four = failing([fault, fault, fault, fault]);
      await expect(withArmRetries(FAST, "GET container group g", four.call)).rejects.toMatchObject({ code: fault.code, transient: true });
      expect(four.seen).toHaveLength(4);
    }
  });

  it("does not retry a refusal retrying cannot fix", async () => {
    const { call, seen } = failing([armError(403, "AuthorizationFailed")]);
    await expect(withArmRetries(FAST, "GET container group g", call)).rejects.toMatchObject({ code: "AuthorizationFailed", transient: false });
    expect(seen).toHaveLength(1);
  });

  it("waits a Retry-After it is given, and leaves a longer one than it may wait to Durable's retry policy", async () => {
    const short = failing([armError(429, "TooManyRequests", "0")]);
    await expect(withArmRetries(FAST, "GET container group g", short.call)).resolves.toBe("ok");
    const long = failing([armError(429, "TooManyRequests", "120")]);
    await expect(withArmRetries(FAST, "GET container group g", long.call)).rejects.toMatchObject({ code: "TooManyRequests" });
    expect(long.seen).toHaveLength(1);
  });

  it("tells later tries that an earlier request went out and its answer was lost, but not for a connection never made", async () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const lost = failing([refused, reset]);
    await withArmRetries(FAST, "GET container group g", lost.call);
    expect(lost.seen).toEqual([{ unanswered: false }, { unanswered: false }, { unanswered: true }]);
  });

  it("tells onRetry of each retry before waiting: what, why, which retry and how long", async () => {
    const retries: unknown[] = [];
    const twice = failing([armError(503, "ServiceUnavailable"), armError(429, "TooManyRequests", "0")]);
    await withArmRetries({ ...FAST, onRetry: (retry) => retries.push(retry) }, "PUT container group g", twice.call);
    expect(retries).toEqual([
      { operation: "PUT container group g", error: expect.objectContaining({ code: "ServiceUnavailable", status: 503 }), retry: 1, maxRetries: 3, delayMs: expect.any(Number) },
      { operation: "PUT container group g", error: expect.objectContaining({ code: "TooManyRequests" }), retry: 2, maxRetries: 3, delayMs: 0 },
    ]);
  });
});
