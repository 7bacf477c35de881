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

/** The failure as an identity failure, or undefined when it is not one. */
export function credentialFailureOf(error: unknown): CredentialFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  if (UNAVAILABLE_NAMES.has(error.name)) return { transient: false, message: firstLines(error.message) };
  if (error.name === "AuthenticationError") {
    const status = (error as { statusCode?: unknown }).statusCode;
    // A refusal (400 identity not found, 401 bad secret, 403) will be refused again; anything else is the endpoint.
    const refused = typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
    return { transient: !refused, message: firstLines(error.message) };
  }
  return undefined;
}

/** DefaultAzureCredential's message lists every credential it tried, one per line; keep it readable. */
function firstLines(message: string, max = 1_000): string {
  const text = message.replace(/\s*\n\s*/gu, " | ").trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
