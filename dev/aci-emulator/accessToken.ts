/**
 * @module
 * Tokens of the fake managed-identity endpoint: unsigned JWTs whose `aud` is the requested resource, so the
 * ARM side can reject a token obtained for the wrong audience the way ARM does (e.g. a client that forgot
 * `credentialScopes` and asked for the emulator's own origin, aci-rest-api.md §13.2 step 4).
 */
import { randomUUID } from "node:crypto";

/** Tenant reported in issued tokens and in system-assigned identities. */
export const EMULATOR_TENANT_ID = "72f988bf-0000-4000-8000-00000000e1e1";

/** ARM's accepted audiences, in the order ARM lists them in `InvalidAuthenticationTokenAudience`. */
export const ARM_AUDIENCES = [
  "https://management.core.windows.net/",
  "https://management.core.windows.net",
  "https://management.azure.com/",
  "https://management.azure.com",
];

export function issueAccessToken(resource: string, expiresOnSeconds: number, clientId?: string): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const issuedAt = Math.floor(Date.now() / 1000);
  const claims = {
    aud: resource,
    iss: `https://sts.windows.net/${EMULATOR_TENANT_ID}/`,
    iat: issuedAt,
    nbf: issuedAt,
    exp: expiresOnSeconds,
    oid: randomUUID(),
    tid: EMULATOR_TENANT_ID,
    ...(clientId && { appid: clientId }),
  };
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.aci-emulator`;
}

/** The `aud` claim when the bearer token is a readable JWT; `undefined` for opaque tokens, which ARM routes accept. */
export function readTokenAudience(token: string): string | undefined {
  return readClaim(token, "aud");
}

/** The `oid` claim (the caller's object id, which ARM names in AuthorizationFailed), when readable. */
export function readTokenObjectId(token: string): string | undefined {
  return readClaim(token, "oid");
}

function readClaim(token: string, name: string): string | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    const value = typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>)[name] : undefined;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
