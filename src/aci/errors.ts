/**
 * @module
 * ARM failures, sorted into transient (retry) and terminal (report). Shared by the client and its retries.
 */
import { CREDENTIAL_UNAVAILABLE, credentialFailureOf } from "../credentials";

/** A failure from ARM, sorted: transient ones are thrown so Durable retries them; terminal ones are reported. */
export class AciError extends Error {
  /**
   * Set on a failed DELETE when one of its requests went out and got no answer, or was accepted before a
   * later step failed: the group may be gone because of it.
   */
  mayHaveBeenCarriedOut = false;

  constructor(
    readonly code: string,
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "AciError";
  }
}

const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "REQUEST_SEND_ERROR",
]);

/** Operation error codes that describe a server-side hiccup rather than the request (ARM async-operations). */
const TRANSIENT_OPERATION_CODES = new Set(["InternalServerError", "ServiceUnavailable", "GatewayTimeout", "TooManyRequests"]);

/**
 * Transient: throttling (429), timeouts (408), server errors (5xx but 501 and 505, as the SDK's own
 * retry policy decides), ContainerGroupTransitioning (409, "retry later"; aci-rest-api.md §8), network
 * failures and credential outages. Everything else is the request's fault and will not improve by retrying.
 */
export function toAciError(error: unknown): AciError {
  if (error instanceof AciError) return error;
  // Before the status: an AuthenticationError carries the token endpoint's status, not ARM's.
  const credential = credentialFailureOf(error);
  if (credential) return new AciError(credential.transient ? "AuthenticationError" : CREDENTIAL_UNAVAILABLE, credential.message, credential.transient);
  const status = statusOf(error);
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status !== undefined) {
    const transient =
      status === 429 ||
      status === 408 ||
      (status >= 500 && status !== 501 && status !== 505) ||
      (status === 409 && code === "ContainerGroupTransitioning");
    return new AciError(code ?? `Http${status}`, message, transient, status);
  }
  // A failed long-running operation: the operation finished, so only a server-side fault is worth retrying.
  const lroFailure = /^The long-running operation has failed\.?\s*(?:([A-Za-z]+)\.\s*)?(.*)$/su.exec(message);
  if (lroFailure) {
    const lroCode = lroFailure[1] ?? "OperationFailed";
    return new AciError(lroCode, lroFailure[2]!.trim() || message, TRANSIENT_OPERATION_CODES.has(lroCode));
  }
  if (code && TRANSIENT_NETWORK_CODES.has(code)) return new AciError(code, message, true);
  return new AciError(code ?? "UnexpectedError", message, true);
}

/** Failures where the request never left: nothing can have been carried out. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * A request that went out and got no answer (a reset or timeout mid-flight): ARM may have carried it
 * out. A token that could not be had, or a connection never made, sent nothing.
 */
export function isUnanswered(error: AciError): boolean {
  return error.status === undefined && !NOT_SENT_CODES.has(error.code) && error.code !== "AuthenticationError" && error.code !== CREDENTIAL_UNAVAILABLE;
}

/** "TooManyRequests (HTTP 429): ..." — the code first, so the failure can be classified from its message alone. */
export function describeAciError(error: AciError): string {
  return `${error.code}${error.status === undefined ? "" : ` (HTTP ${error.status})`}: ${error.message}`;
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.length > 0 ? code : undefined;
}

