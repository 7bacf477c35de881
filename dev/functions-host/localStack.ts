/**
 * @module
 * Everything the app needs to run under the local Functions host on this machine: Azurite (blob, queue
 * and table, for the Durable extension, the timer's schedule monitor and the run slots), the ACI and
 * Key Vault emulators in real time unless the app should reach Azure, and the host itself. Used by
 * `npm start`, the conformance tests and `npm run bench`; stopped in reverse order, by PID.
 */
import { appRoleAssignment, startAciEmulator, type AciEmulator } from "../aci-emulator";
import { startKeyVaultEmulator, type KeyVaultEmulator } from "../keyvault-emulator";
import { startAzurite, type AzuriteOptions, type RunningAzurite } from "../local/azurite";
import { EMULATOR_RESOURCE_GROUP, EMULATOR_SUBSCRIPTION_ID } from "../local/localApp";
import { trustBundlePath } from "../local/trust";
import { startLocalFunctionsHost, type LocalFunctionsHost, type LocalFunctionsHostOptions } from "./index";

export interface LocalStackOptions extends Omit<LocalFunctionsHostOptions, "env"> {
  readonly azurite: Omit<AzuriteOptions, "services">;
  /** Start the ACI and Key Vault emulators and point the app at them (otherwise the app's settings name Azure). */
  readonly emulators: boolean;
  /** Default region for the emulated run (ACI_REGION). */
  readonly region?: string;
  /** More settings for the host and the worker (they win over the stack's own). */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each service as it starts, so a caller can report it. */
  readonly onStarted?: (service: StartedService) => void;
}

export type StartedService =
  | { readonly kind: "azurite"; readonly azurite: RunningAzurite }
  | { readonly kind: "emulators"; readonly aci: AciEmulator; readonly keyVault: KeyVaultEmulator }
  | { readonly kind: "host"; readonly host: LocalFunctionsHost };

export interface LocalStack {
  readonly host: LocalFunctionsHost;
  readonly azurite: RunningAzurite;
  readonly emulator?: AciEmulator;
  readonly keyVault?: KeyVaultEmulator;
  /** The settings the stack gave the host on top of local.settings.json (secrets of the local emulators only). */
  readonly settings: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const azurite = await startAzurite({ ...options.azurite, services: "all" });
    stops.push(() => azurite.stop());
    options.onStarted?.({ kind: "azurite", azurite });
    const settings: Record<string, string> = { AzureWebJobsStorage: azurite.connectionString };
    let emulator: AciEmulator | undefined;
    let keyVault: KeyVaultEmulator | undefined;
    if (options.emulators) {
      const aci = await startAciEmulator({ resourceGroups: [EMULATOR_RESOURCE_GROUP], roleAssignment: appRoleAssignment(EMULATOR_RESOURCE_GROUP) });
      emulator = aci;
      stops.push(() => aci.close());
      const vault = await startKeyVaultEmulator();
      keyVault = vault;
      stops.push(() => vault.close());
      Object.assign(settings, {
        AZURE_SUBSCRIPTION_ID: EMULATOR_SUBSCRIPTION_ID,
        ACI_RESOURCE_GROUP: EMULATOR_RESOURCE_GROUP,
        ACI_REGION: options.region ?? "eastus",
        ACI_ARM_ENDPOINT: aci.url,
        ACI_ARM_AUDIENCE: "https://management.azure.com",
        KEY_VAULT_URI: vault.vaultUri,
        // DefaultAzureCredential in the worker takes the emulator for App Service's managed identity.
        IDENTITY_ENDPOINT: aci.identityEndpoint,
        IDENTITY_HEADER: aci.identityHeader,
        AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
        // Read by Node when the worker starts: the emulators' certificate and this machine's own extra authorities.
        NODE_EXTRA_CA_CERTS: trustBundlePath(),
      });
      options.onStarted?.({ kind: "emulators", aci, keyVault: vault });
    }
    const { azurite: _azurite, emulators: _emulators, region: _region, env, onStarted, ...hostOptions } = options;
    const host = await startLocalFunctionsHost({ ...hostOptions, env: { ...settings, ...env } });
    stops.push(() => host.stop());
    onStarted?.({ kind: "host", host });
    return {
      host,
      azurite,
      ...(emulator ? { emulator } : {}),
      ...(keyVault ? { keyVault } : {}),
      settings,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
