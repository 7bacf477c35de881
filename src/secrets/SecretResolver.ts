/**
 * @module
 * What the activities need from a secret store: the values of a job's Key Vault references, or, for a
 * reference that cannot be read for a reason retrying will not fix, which one and why. Transient faults
 * (throttling, 5xx, network, the identity endpoint) are thrown so Durable's retry policy retries them.
 * No value ever appears in a thrown message, a result's `message` or a log line.
 */
import type { SecretReference } from "../jobs/secretReference";

/**
 * A reference that cannot be read for a reason retrying will not fix: missing (404 SecretNotFound),
 * disabled (403 SecretDisabled), or the app's identity may not read it (403 Forbidden). `secret` is the
 * reference's name, never a value.
 */
export interface SecretUnavailable {
  readonly ok: false;
  readonly secret: string;
  readonly code: string;
  readonly message: string;
}

/** Every value, keyed by `secretKey(reference)`. */
export type SecretResolution = { readonly ok: true; readonly values: ReadonlyMap<string, string> } | SecretUnavailable;

/** Every value to hide, in no particular order. */
export type RedactionValues = { readonly ok: true; readonly values: readonly string[] } | SecretUnavailable;

export interface SecretResolver {
  /** Resolves every reference (in parallel, through a short-lived cache). Throws only for transient faults. */
  resolve(references: readonly SecretReference[]): Promise<SecretResolution>;
  /**
   * The values to redact for these references: each one's current value plus every earlier value this
   * process saw for it (a secret rotated while a container that got the old value still runs).
   */
  redactionValues(references: readonly SecretReference[]): Promise<RedactionValues>;
}

/** A transient failure to read a secret; its message names the secret and the service's code, never a value. */
export class SecretStoreUnavailableError extends Error {
  constructor(
    readonly secret: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SecretStoreUnavailableError";
  }
}

/** For an app whose jobs reference no secret: any reference is a configuration problem, reported per job at startup. */
export const noSecretStore: SecretResolver = {
  async resolve(references) {
    const first = references[0];
    if (!first) return { ok: true, values: new Map() };
    return { ok: false, secret: first.keyVaultSecret, code: "KeyVaultNotConfigured", message: "KEY_VAULT_URI is not set, so no Key Vault reference can be resolved" };
  },
  async redactionValues(references) {
    const resolved = await this.resolve(references);
    return resolved.ok ? { ok: true, values: [...resolved.values.values()] } : resolved;
  },
};
