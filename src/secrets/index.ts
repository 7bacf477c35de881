/**
 * @module
 * Secrets of job definitions: Key Vault references resolved with the app's identity inside activities,
 * and redaction of their values from everything a container prints.
 */
export { noSecretStore, SecretStoreUnavailableError, type RedactionValues, type SecretResolution, type SecretResolver, type SecretUnavailable } from "./SecretResolver";
export { createKeyVaultSecretResolver, DEFAULT_SECRET_CACHE_TTL_MS, KeyVaultSecretResolver, type KeyVaultSecretResolverOptions, type SecretReader } from "./keyVaultSecretResolver";
export { createRedactor, MIN_REDACTED_LENGTH, REDACTED, type Redactor } from "./redact";
