/**
 * @module
 * Failures of the app's identity, sorted the same way for ARM and for Key Vault. A credential that cannot
 * work here (no managed identity assigned, a wrong AZURE_CLIENT_ID, no `az login` on a laptop) fails every
 * request alike, so retrying only hides it: it ends the attempt at once as `credentialUnavailable`. A token
 * request the identity endpoint failed to answer (5xx, 429, a network fault) may work next time.
 *
 * What @azure/identity throws (v4): `CredentialUnavailableError` when a credential cannot be used at all;
 * `AggregateAuthenticationError` from DefaultAzureCredential when every credential in its chain was
 * unavailable (ChainedTokenCredential collects only CredentialUnavailableError and AuthenticationRequiredError);
 * `AuthenticationError` with the token endpoint's `statusCode` when a token request was refused or failed.
 */

/** The code under which the activities report an identity that cannot get a token. */
export const CREDENTIAL_UNAVAILABLE = "CredentialUnavailable";

export interface CredentialFailure {
  readonly transient: boolean;
  readonly message: string;
}

const UNAVAILABLE_NAMES = new Set(["CredentialUnavailableError", "AuthenticationRequiredError", "AggregateAuthenticationError"]);

/**
 * ManagedIdentityCredential reports everything as CredentialUnavailableError, an identity endpoint that is
 * down as much as one that does not exist. Its `cause` is msal-node's error: a ServerError with the
 * endpoint's HTTP `status` (msal has already retried 5xx and 429 by then), or ClientAuthError
 * `network_error` when nothing answered. Those may work next time; no identity, 400, 401 and 403 will not.
 */
const NETWORK_FAULT = /Network unreachable|network_error|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up/iu;

function isEndpointFault(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 4) return false;
  const { status, statusCode, errorCode, message, cause, errors } = error as Record<string, unknown>;
  const http = typeof status === "number" ? status : typeof statusCode === "number" ? statusCode : undefined;
  if (http !== undefined && (http >= 500 || http === 429 || http === 408)) return true;
  if (errorCode === "network_error" || (typeof message === "string" && NETWORK_FAULT.test(message))) return true;
  return isEndpointFault(cause, depth + 1) || (Array.isArray(errors) && errors.some((inner) => isEndpointFault(inner, depth + 1)));
}

/** The failure as an identity failure, or undefined when it is not one. */
export function credentialFailureOf(error: unknown): CredentialFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  if (UNAVAILABLE_NAMES.has(error.name)) return { transient: isEndpointFault(error), message: compact(error) };
  if (error.name === "AuthenticationError") {
    const status = (error as { statusCode?: unknown }).statusCode;
    // A refusal (400 identity not found, 401 bad secret, 403) will be refused again; anything else is the endpoint.
    const refused = typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
    return { transient: !refused, message: compact(error) };
  }
  return undefined;
}

/**
 * One line per credential DefaultAzureCredential tried, each cut to its first sentence-sized part, so that
 * every credential's reason (the Azure CLI's "not logged in" included) fits in the run's detail.
 */
function compact(error: Error): string {
  const inner = (error as { errors?: unknown }).errors;
  const parts = Array.isArray(inner) && inner.length > 0 ? inner.map((e) => (e instanceof Error ? e.message : String(e))) : [error.message];
  const lines = parts.map((part) => {
    const line = part.replace(/\s+/gu, " ").trim();
    return line.length > 200 ? `${line.slice(0, 200)}…` : line;
  });
  const head = Array.isArray(inner) && inner.length > 0 ? `${error.message.split("\n")[0]!.trim()} ` : "";
  return `${head}${lines.join(" | ")}`;
}
