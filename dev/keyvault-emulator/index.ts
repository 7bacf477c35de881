/**
 * @module
 * Local emulator of Azure Key Vault's secrets API, for development and tests only. See `startKeyVaultEmulator`.
 */
export {
  LOCAL_VAULT_RESOURCE,
  startKeyVaultEmulator,
  type KeyVaultEmulator,
  type KeyVaultEmulatorOptions,
  type KeyVaultFault,
  type KeyVaultRequest,
  type SecretOptions,
} from "./startKeyVaultEmulator";
export { resolveLocalhostNames } from "./resolveLocalhostNames";
