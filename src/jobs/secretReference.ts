/**
 * @module
 * A secret in a job definition is never a value, only the name of a secret in the app's Key Vault
 * (the KEY_VAULT_URI setting). Definitions travel in orchestration input and run status, so a value
 * written here would be stored in history; a name is harmless. The create activity resolves names with
 * the app's managed identity just before it sends the container group to ACI.
 */
import { z } from "zod";

/** Key Vault secret names: 1-127 letters, digits and hyphens (Key Vault object naming rules). */
const SECRET_NAME = /^[A-Za-z0-9-]{1,127}$/u;
/** A secret version is 32 lowercase hex digits. */
const SECRET_VERSION = /^[0-9a-f]{32}$/u;

export const secretReferenceSchema = z
  .object({
    keyVaultSecret: z.string().regex(SECRET_NAME, { message: "a Key Vault secret name is 1-127 letters, digits and hyphens" }),
    /** Pin a version; omitted, every run reads the current version. */
    version: z.string().regex(SECRET_VERSION, { message: "a Key Vault secret version is 32 hex digits" }).optional(),
  })
  .strict();

export type SecretReference = z.output<typeof secretReferenceSchema>;

/** Refers to a secret in the app's Key Vault: `password: keyVaultSecret("acr-password")`. */
export function keyVaultSecret(name: string, version?: string): SecretReference {
  return version === undefined ? { keyVaultSecret: name } : { keyVaultSecret: name, version };
}

export function isSecretReference(value: unknown): value is SecretReference {
  return typeof value === "object" && value !== null && typeof (value as { keyVaultSecret?: unknown }).keyVaultSecret === "string";
}

/** A stable key for a reference (name and version), for caches and de-duplication. */
export function secretKey(reference: SecretReference): string {
  return reference.version ? `${reference.keyVaultSecret}/${reference.version}` : reference.keyVaultSecret;
}
