/**
 * @module
 * {@link SecretResolver} over `@azure/keyvault-secrets`: one `SecretClient` for the app's vault (the
 * KEY_VAULT_URI setting), built once in src/app.ts with the app's managed identity. Values are cached
 * in memory for a few minutes, so a run's create, watch and log reads cost one read per secret, and a
 * rotated secret is picked up by the first run after the cache entry expires.
 */
import { SecretClient } from "@azure/keyvault-secrets";
import type { TokenCredential } from "@azure/identity";
import { CREDENTIAL_UNAVAILABLE, credentialFailureOf } from "../credentials";
import { secretKey, type SecretReference } from "../jobs/secretReference";
import {
  SecretStoreUnavailableError,
  type RedactionValues,
  type SecretResolution,
  type SecretResolver,
  type SecretUnavailable,
} from "./SecretResolver";

/** The one call the resolver makes; `SecretClient` has it, and tests fake it. */
export interface SecretReader {
  getSecret(name: string, options?: { version?: string }): Promise<{ value?: string }>;
}

export interface KeyVaultSecretResolverOptions {
  /** How long a value is reused. Default 5 minutes. */
  readonly cacheTtlMs?: number;
  /** Clock for cache expiry. Default `Date.now`. */
  readonly now?: () => number;
  /** The SDK's own retries of 429, 5xx and network faults before a failure reaches the resolver. */
  readonly retry?: { readonly maxRetries?: number; readonly retryDelayInMs?: number; readonly maxRetryDelayInMs?: number };
}

export const DEFAULT_SECRET_CACHE_TTL_MS = 5 * 60_000;

/** Earlier values remembered per reference for redaction, newest kept. */
const REMEMBERED_VALUES = 5;

/** The app's vault through `SecretClient`, authenticated with the app's credential (Key Vault's challenge flow). */
export function createKeyVaultSecretResolver(vaultUri: string, credential: TokenCredential, options: KeyVaultSecretResolverOptions = {}): SecretResolver {
  const client = new SecretClient(vaultUri, credential, options.retry ? { retryOptions: options.retry } : {});
  return new KeyVaultSecretResolver(client, options);
}

type Fetched = { readonly ok: true; readonly value: string } | SecretUnavailable;

export class KeyVaultSecretResolver implements SecretResolver {
  readonly #reader: SecretReader;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { readonly value: string; readonly expiresAt: number }>();
  readonly #inFlight = new Map<string, Promise<Fetched>>();
  readonly #seen = new Map<string, string[]>();

  constructor(reader: SecretReader, options: KeyVaultSecretResolverOptions = {}) {
    this.#reader = reader;
    this.#ttlMs = options.cacheTtlMs ?? DEFAULT_SECRET_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  async resolve(references: readonly SecretReference[]): Promise<SecretResolution> {
    const unique = [...new Map(references.map((reference) => [secretKey(reference), reference])).values()];
    const settled = await Promise.allSettled(unique.map((reference) => this.#fetch(reference)));
    // A reference that can never be read ends the attempt whatever else happened; a transient fault
    // on another one would only delay that answer.
    for (const outcome of settled) {
      if (outcome.status === "fulfilled" && !outcome.value.ok) return outcome.value;
    }
    const failed = settled.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    const values = new Map<string, string>();
    unique.forEach((reference, index) => {
      const outcome = settled[index] as PromiseFulfilledResult<{ ok: true; value: string }>;
      values.set(secretKey(reference), outcome.value.value);
    });
    return { ok: true, values };
  }

  async redactionValues(references: readonly SecretReference[]): Promise<RedactionValues> {
    const resolved = await this.resolve(references);
    if (!resolved.ok) return resolved;
    const values = new Set(resolved.values.values());
    for (const reference of references) for (const earlier of this.#seen.get(secretKey(reference)) ?? []) values.add(earlier);
    return { ok: true, values: [...values] };
  }

  async #fetch(reference: SecretReference): Promise<Fetched> {
    const key = secretKey(reference);
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > this.#now()) return { ok: true, value: cached.value };
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = this.#read(reference).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  async #read(reference: SecretReference): Promise<Fetched> {
    const key = secretKey(reference);
    try {
      const secret = await this.#reader.getSecret(reference.keyVaultSecret, reference.version ? { version: reference.version } : {});
      const value = secret.value ?? "";
      this.#cache.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
      this.#remember(key, value);
      return { ok: true, value };
    } catch (error) {
      return sortFailure(reference, error);
    }
  }

  #remember(key: string, value: string): void {
    const seen = this.#seen.get(key) ?? [];
    if (seen.at(-1) === value) return;
    this.#seen.set(key, [...seen.filter((v) => v !== value), value].slice(-REMEMBERED_VALUES));
  }
}

/** The parts of a `RestError` (from @azure/core-rest-pipeline) and its Key Vault error body that are read here. */
interface KeyVaultFailure {
  readonly name?: string;
  readonly message?: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: { readonly error?: { readonly code?: string; readonly message?: string; readonly innerError?: { readonly code?: string } } };
}

/**
 * Key Vault REST API error codes (learn.microsoft.com/azure/key-vault/general/rest-error-codes): 401 the
 * token was refused, 403 the caller may not read the secret (`Forbidden`, inner `ForbiddenByRbac`) or
 * the secret is disabled (`Forbidden`, inner `SecretDisabled`), 404 `SecretNotFound`, 400 a bad request:
 * retrying changes none of these. 429 (throttling), 408, 5xx and network or identity-endpoint faults are
 * transient and thrown. Key Vault's messages name the secret, never its value.
 */
function sortFailure(reference: SecretReference, error: unknown): SecretUnavailable {
  // The identity cannot get a token: every secret fails alike, and retrying will not change it.
  const credential = credentialFailureOf(error);
  if (credential && !credential.transient) return { ok: false, secret: reference.keyVaultSecret, code: CREDENTIAL_UNAVAILABLE, message: bounded(credential.message) };
  const failure = (typeof error === "object" && error !== null ? error : {}) as KeyVaultFailure;
  const status = failure.statusCode;
  const body = failure.details?.error;
  const name = secretKey(reference);
  const message = bounded(body?.message ?? failure.message ?? String(error));
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    const code = body?.innerError?.code ?? body?.code ?? failure.code ?? `Http${status}`;
    return { ok: false, secret: reference.keyVaultSecret, code, message };
  }
  const code = body?.code ?? failure.code ?? (status === undefined ? failure.name ?? "NetworkError" : `Http${status}`);
  throw new SecretStoreUnavailableError(reference.keyVaultSecret, code, `Key Vault could not be read for secret ${name} (${status ?? "no response"} ${code}): ${message}`);
}

function bounded(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
