/**
 * @module
 * A local Azure Key Vault for secrets, for development and tests only: the data-plane REST shape of get
 * secret (latest and by version), set secret and update secret, over HTTPS, with Key Vault's
 * challenge-based authentication, so the production `SecretClient` and `DefaultAzureCredential` run
 * against it unchanged.
 *
 * Throttling, as Key Vault does it (learn.microsoft.com/azure/key-vault/general/overview-throttling): a 429 with
 * code `Throttled` and no `Retry-After`; the guidance leaves the back-off to the client. The SDK's throttling
 * strategy retries only a 429 that names a delay, so a throttled read reaches the caller.
 *
 * Authentication, as Key Vault does it (learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses,
 * .../rest-error-codes): a request without a bearer token gets 401 with
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="<vault resource>"`; the client
 * then asks its credential for a token for that resource and sends the request again. A token for
 * another audience is refused (401 AKV10022) with the same challenge.
 *
 * The emulator is its own "cloud" whose vault DNS suffix is `vault.localhost` (like vault.azure.net or
 * vault.azure.cn): vaults are `https://<name>.vault.localhost:<port>/` and the resource is
 * `https://vault.localhost`. `SecretClient` checks that the vault's host ends in `.` + the challenge's
 * resource host (keyvault-common's `verifyChallengeResource`); with this naming the check runs and passes
 * as it does in Azure, so nothing in src/ turns it off. Tokens come from the ACI emulator's
 * managed-identity endpoint (dev/aci-emulator/startTokenServer.ts), which issues them for any resource.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ensureEmulatorCertificate, LOCAL_VAULT_DOMAIN } from "../aci-emulator/ensureEmulatorCertificate";
import { EMULATOR_TENANT_ID, readTokenAudience } from "../aci-emulator/accessToken";
import { resolveLocalhostNames } from "./resolveLocalhostNames";

/** The token audience of the emulator's vaults: what the challenge names as `resource`. */
export const LOCAL_VAULT_RESOURCE = `https://${LOCAL_VAULT_DOMAIN}`;

/** Key Vault object names: 1-127 letters, digits and hyphens. */
const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/u;

/**
 * Data-plane API versions Key Vault accepts for secrets (the REST reference's version list), the
 * SDK's current default (2026-04-01, @azure/keyvault-secrets 4.12) included.
 */
const API_VERSIONS = new Set(["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"]);

export interface KeyVaultEmulatorOptions {
  /** The vault's name, the first label of its host. Default `aci-jobs-local`. */
  readonly vaultName?: string;
  /** https port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Where the shared emulator certificate is cached. Default `<repo>/.aci-emulator/`. */
  readonly certDir?: string;
}

export interface SecretOptions {
  readonly enabled?: boolean;
  readonly contentType?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface KeyVaultRequest {
  readonly method: string;
  /** Path without the query, e.g. `/secrets/db-password/`. */
  readonly path: string;
  readonly status: number;
  /** The secret the request named, if any. */
  readonly secret?: string;
  /** Whether it carried a bearer token. */
  readonly authenticated: boolean;
  /** The token's audience, when it carried a readable one. */
  readonly audience?: string;
}

/** Makes the next matching read(s) fail as a busy or broken vault does. */
export interface KeyVaultFault {
  readonly status: 429 | 500 | 503;
  /** Only requests for this secret. Default: any. */
  readonly secret?: string;
  /** How many requests fail. Default 1. */
  readonly count?: number;
  /**
   * A 429 only: send `Retry-After` with this many seconds (at least 1). Default: no header, as Key Vault's own
   * 429 has none (throttling guidance; a captured real 429 carries none either).
   */
  readonly retryAfterSeconds?: number;
}

export interface KeyVaultEmulator {
  /** `https://<name>.vault.localhost:<port>/`: the value for KEY_VAULT_URI. */
  readonly vaultUri: string;
  readonly certPath: string;
  /** Every request so far (challenges included), oldest first. */
  readonly requests: readonly KeyVaultRequest[];
  /** Stores a new version of a secret (what `az keyvault secret set` does); returns the version id. */
  setSecret(name: string, value: string, options?: SecretOptions): string;
  /** Enables or disables the latest version of a secret, or the given one (the portal's Enabled switch). */
  setEnabled(name: string, enabled: boolean, version?: string): void;
  /** The app's identity loses read access to this secret: reads answer 403 ForbiddenByRbac. */
  denyRead(name: string): void;
  injectFault(fault: KeyVaultFault): void;
  /** Forgets secrets, denials, faults and the request log. */
  reset(): void;
  close(): Promise<void>;
}

interface SecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  readonly created: number;
  updated: number;
}

interface VaultState {
  readonly vaultUri: string;
  /** By lower-cased name (Key Vault names are case-insensitive); versions oldest first. */
  readonly secrets: Map<string, { name: string; versions: SecretVersion[] }>;
  readonly denied: Set<string>;
  readonly faults: Array<{ status: number; secret?: string; remaining: number; retryAfterSeconds?: number }>;
  readonly requests: KeyVaultRequest[];
}

export async function startKeyVaultEmulator(options: KeyVaultEmulatorOptions = {}): Promise<KeyVaultEmulator> {
  resolveLocalhostNames();
  const certificate = ensureEmulatorCertificate(options.certDir);
  const vaultName = options.vaultName ?? "aci-jobs-local";
  const state: VaultState = { vaultUri: "", secrets: new Map(), denied: new Set(), faults: [], requests: [] };
  const server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      reply(response, 500, { error: { code: "InternalServerError", message: `Key Vault emulator: ${String(error)}` } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const vaultUri = `https://${vaultName}.${LOCAL_VAULT_DOMAIN}:${port}/`;
  (state as { vaultUri: string }).vaultUri = vaultUri;

  return {
    vaultUri,
    certPath: certificate.certPath,
    requests: state.requests,
    setSecret: (name, value, secretOptions = {}) => storeVersion(state, name, value, secretOptions).version,
    setEnabled: (name, enabled, version) => {
      const entry = state.secrets.get(name.toLowerCase());
      const target = version ? entry?.versions.find((v) => v.version === version) : entry?.versions.at(-1);
      if (!target) throw new Error(`Key Vault emulator: no secret ${name}${version ? `/${version}` : ""}`);
      target.enabled = enabled;
      target.updated = nowSeconds();
    },
    denyRead: (name) => state.denied.add(name.toLowerCase()),
    injectFault: (fault) => {
      if (fault.retryAfterSeconds !== undefined && (fault.status !== 429 || !Number.isInteger(fault.retryAfterSeconds) || fault.retryAfterSeconds < 1)) {
        throw new Error("Key Vault emulator: retryAfterSeconds is a whole number of seconds, at least 1, for a 429 only");
      }
      state.faults.push({
        status: fault.status,
        ...(fault.secret ? { secret: fault.secret.toLowerCase() } : {}),
        remaining: fault.count ?? 1,
        ...(fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {}),
      });
    },
    reset: () => {
      state.secrets.clear();
      state.denied.clear();
      state.faults.length = 0;
      state.requests.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(state: VaultState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", state.vaultUri);
  const method = request.method ?? "GET";
  const segments = url.pathname.split("/").filter((segment, index, all) => segment !== "" || index < all.length - 1).slice(1);
  const [collection, rawName, version] = segments;
  const name = rawName ? decodeURIComponent(rawName) : undefined;
  const token = /^Bearer\s+(\S+)$/iu.exec(request.headers.authorization ?? "")?.[1];
  const body = await readBody(request);
  const audience = token === undefined ? undefined : readTokenAudience(token);
  const record = (status: number) =>
    state.requests.push({ method, path: url.pathname, status, ...(name ? { secret: name } : {}), authenticated: token !== undefined, ...(audience ? { audience } : {}) });
  const answer = (status: number, payload: object, headers: Record<string, string> = {}) => {
    record(status);
    reply(response, status, payload, headers);
  };

  // Challenge first, as Key Vault does: the SDK's first request carries no token (and no body).
  if (token === undefined) {
    return answer(401, { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }, challenge());
  }
  if (audience === undefined || audience.replace(/\/+$/u, "") !== LOCAL_VAULT_RESOURCE) {
    return answer(401, { error: { code: "Unauthorized", message: `AKV10022: Invalid audience. Expected ${LOCAL_VAULT_RESOURCE}, found: ${audience ?? "(unreadable token)"}.` } }, challenge());
  }
  const apiVersion = url.searchParams.get("api-version");
  if (!apiVersion || !API_VERSIONS.has(apiVersion)) {
    // Wording chosen by the emulator; Key Vault answers 400 BadParameter for a missing or unknown version.
    return answer(400, { error: { code: "BadParameter", message: `The specified version (${apiVersion ?? "none"}) is not recognized. Consider using the latest supported version (2026-04-01).` } });
  }
  if (collection !== "secrets" || name === undefined || segments.length > 3) {
    return answer(404, { error: { code: "NotFound", message: "The requested resource was not found (the Key Vault emulator serves /secrets/{name}[/{version}] only)." } });
  }
  if (!SECRET_NAME.test(name)) {
    return answer(400, { error: { code: "BadParameter", message: `The request URI contains an invalid name: ${name}` } });
  }
  const fault = state.faults.find((f) => f.remaining > 0 && (f.secret === undefined || f.secret === name.toLowerCase()));
  if (fault) {
    fault.remaining -= 1;
    return fault.status === 429
      ? // The body of a captured real 429: code Throttled, this message; no Retry-After (see the module comment).
        answer(
          429,
          { error: { code: "Throttled", message: "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached" } },
          fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {},
        )
      : answer(fault.status, { error: { code: fault.status === 503 ? "ServiceUnavailable" : "InternalServerError", message: "The Key Vault emulator was told to fail this request." } });
  }

  if (method === "PUT" && version === undefined) {
    const parsed = parseJson(body) as { value?: unknown; contentType?: unknown; tags?: unknown; attributes?: { enabled?: unknown } } | undefined;
    if (typeof parsed?.value !== "string") return answer(400, { error: { code: "BadParameter", message: "Property value is required." } });
    const tags = readTags(parsed.tags);
    if (tags === undefined) return answer(400, { error: { code: "BadParameter", message: "Property tags must map names to string values." } });
    const stored = storeVersion(state, name, parsed.value, {
      ...(typeof parsed.contentType === "string" ? { contentType: parsed.contentType } : {}),
      ...(typeof parsed.attributes?.enabled === "boolean" ? { enabled: parsed.attributes.enabled } : {}),
      tags,
    });
    return answer(200, bundle(state, state.secrets.get(name.toLowerCase())!.name, stored, true));
  }
  if (method !== "GET" && method !== "PATCH") {
    return answer(405, { error: { code: "MethodNotAllowed", message: `${method} is not supported on this resource.` } });
  }

  if (state.denied.has(name.toLowerCase())) {
    // Key Vault's RBAC refusal, checked before the secret is looked up; inner code ForbiddenByRbac.
    return answer(403, {
      error: {
        code: "Forbidden",
        message: `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '${state.vaultUri}secrets/${name.toLowerCase()}'\r\n`,
        innererror: { code: "ForbiddenByRbac" },
      },
    });
  }
  const entry = state.secrets.get(name.toLowerCase());
  const id = version ? `${name}/${version}` : name;
  const target = version ? entry?.versions.find((v) => v.version === version) : entry?.versions.at(-1);
  if (!entry || !target) {
    return answer(404, {
      error: {
        code: "SecretNotFound",
        message: `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
      },
    });
  }
  if (method === "PATCH") {
    if (version === undefined) return answer(405, { error: { code: "MethodNotAllowed", message: "PATCH needs a secret version." } });
    const parsed = parseJson(body) as { tags?: unknown; attributes?: { enabled?: unknown } } | undefined;
    const tags = readTags(parsed?.tags);
    if (tags === undefined) return answer(400, { error: { code: "BadParameter", message: "Property tags must map names to string values." } });
    if (typeof parsed?.attributes?.enabled === "boolean") target.enabled = parsed.attributes.enabled;
    // Update Secret replaces the version's tags when the request names them, and keeps them otherwise.
    if (parsed?.tags !== undefined && parsed.tags !== null) target.tags = tags;
    target.updated = nowSeconds();
    return answer(200, bundle(state, entry.name, target, false));
  }
  if (!target.enabled) {
    return answer(403, { error: { code: "Forbidden", message: "Operation get is not allowed on a disabled secret.", innererror: { code: "SecretDisabled" } } });
  }
  return answer(200, bundle(state, entry.name, target, true));
}

function storeVersion(state: VaultState, name: string, value: string, options: SecretOptions): SecretVersion {
  if (!SECRET_NAME.test(name)) throw new Error(`Key Vault emulator: "${name}" is not a valid secret name (1-127 letters, digits and hyphens)`);
  const key = name.toLowerCase();
  const entry = state.secrets.get(key) ?? { name, versions: [] };
  const now = nowSeconds();
  const stored: SecretVersion = {
    version: randomBytes(16).toString("hex"),
    value,
    ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    tags: { ...options.tags },
    enabled: options.enabled ?? true,
    created: now,
    updated: now,
  };
  entry.versions.push(stored);
  state.secrets.set(key, entry);
  return stored;
}

/**
 * Key Vault's SecretBundle: value, id (vault URI + /secrets/name/version), contentType, attributes, and `tags`
 * only when the version has some (the REST reference's Get Secret sample has none and no `tags` key).
 */
function bundle(state: VaultState, name: string, secret: SecretVersion, withValue: boolean): object {
  return {
    ...(withValue ? { value: secret.value } : {}),
    id: `${state.vaultUri}secrets/${name}/${secret.version}`,
    ...(secret.contentType !== undefined ? { contentType: secret.contentType } : {}),
    attributes: { enabled: secret.enabled, created: secret.created, updated: secret.updated, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 },
    ...(Object.keys(secret.tags).length > 0 ? { tags: { ...secret.tags } } : {}),
  };
}

/** A request's `tags`: absent or null means none; anything but a map of strings is `undefined` (refused). */
function readTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return {};
  if (typeof tags !== "object" || Array.isArray(tags)) return undefined;
  const entries = Object.entries(tags);
  return entries.every(([, value]) => typeof value === "string") ? Object.fromEntries(entries as [string, string][]) : undefined;
}

function challenge(): Record<string, string> {
  return { "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${EMULATOR_TENANT_ID}", resource="${LOCAL_VAULT_RESOURCE}"` };
}

function reply(response: ServerResponse, status: number, payload: object, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-ms-keyvault-service-version": "1.9.0.0", ...headers });
  response.end(JSON.stringify(payload));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
