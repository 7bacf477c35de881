/**
 * @module
 * The app, running in this process: its real functions registered into the in-process Durable host,
 * talking either to the embedded ACI and Key Vault emulators (virtual time) or to Azure (real time). Shared by
 * `npm run job`, `npm run bench` and the integration tests, so all three exercise the same wiring as
 * the Functions host: settings parsed by src/config.ts, clients built by src/app.ts, the orchestrations
 * and activities exactly as registered with durable-functions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createServices, registerFunctions, type AppServices, type ServiceOptions } from "../../src/app";
import { loadConfig, type AppConfig } from "../../src/config";
import { loadJobs, type JobRegistry } from "../../src/jobs";
import { appRoleAssignment, startAciEmulator, type AciEmulator } from "../aci-emulator";
import { VirtualClock, systemClock, type Clock } from "../clock";
import { startKeyVaultEmulator, type KeyVaultEmulator } from "../keyvault-emulator";
import { DurableHost, captureRegistrations, type HostLogRecord } from "../durable-host";
import { journalEpisodes, type EpisodeRecord } from "../durable-host/episodeJournal";
import type { DurableHostOptions, OrchestrationHandler } from "../durable-host/types";
import { DEFAULT_MAX_QUEUE_POLLING_MS } from "../durable-host/timerQueue";

export interface LocalApp {
  readonly host: DurableHost;
  readonly config: AppConfig;
  readonly jobs: JobRegistry;
  readonly services: AppServices;
  readonly clock: Clock;
  /** Present when the app talks to the embedded emulator. */
  readonly emulator?: AciEmulator;
  /** The app's Key Vault (KEY_VAULT_URI) when it runs on the emulators; seed secrets with `setSecret`. */
  readonly keyVault?: KeyVaultEmulator;
  close(): Promise<void>;
}

export interface LocalAppOptions {
  /** Job definitions to load instead of src/jobs (tests define their own). */
  readonly jobDefinitions?: readonly unknown[];
  readonly log?: (record: HostLogRecord) => void;
  /** Storage connection string for run slots (Azurite); without it, the HTTP and timer triggers refuse to start runs. */
  readonly storageConnectionString?: string;
  readonly serviceOptions?: ServiceOptions;
  /** Secrets to put in the emulated vault before the app starts (name → value). */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Registers more functions next to the app's (the conformance tests' host probes). */
  readonly registerMore?: () => void;
  /** Receives every orchestrator episode (the conformance tests compare these with the real extension's). */
  readonly episodeJournal?: (record: EpisodeRecord) => void;
  /** Re-delivers activities as the real extension may (at least once); see DurableHostOptions. */
  readonly activityRedelivery?: DurableHostOptions["activityRedelivery"];
  /** Instead of host.json's (or its app-setting override's) `maxQueuePollingInterval`. */
  readonly maxQueuePollingIntervalMs?: number;
}

/** Settings the emulator needs; the same names a developer puts in local.settings.json (docs/configuration.md). */
export const EMULATOR_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";
export const EMULATOR_RESOURCE_GROUP = "rg-aci-jobs-local";

/**
 * Starts the emulator on a virtual clock and the app against it. Needs NODE_EXTRA_CA_CERTS to name the
 * emulator's certificate when the process started (see ensureEmulatorTrust in ./trust).
 */
export async function startEmulatedApp(options: LocalAppOptions & { clock?: VirtualClock } = {}): Promise<LocalApp> {
  const clock = options.clock ?? new VirtualClock(Date.now());
  // The app's own role (infra/app/jobs-role.bicep): a call it does not allow fails here as in Azure.
  const emulator = await startAciEmulator({ clock, resourceGroups: [EMULATOR_RESOURCE_GROUP], roleAssignment: appRoleAssignment(EMULATOR_RESOURCE_GROUP) });
  let keyVault: KeyVaultEmulator | undefined;
  try {
    keyVault = await startKeyVaultEmulator();
    for (const [name, value] of Object.entries(options.secrets ?? {})) keyVault.setSecret(name, value);
    // DefaultAzureCredential reads these when it is built: the emulator plays App Service's managed
    // identity, for ARM and for the vault alike.
    process.env.IDENTITY_ENDPOINT = emulator.identityEndpoint;
    process.env.IDENTITY_HEADER = emulator.identityHeader;
    process.env.AZURE_TOKEN_CREDENTIALS = "ManagedIdentityCredential";
    const env = {
      AZURE_SUBSCRIPTION_ID: EMULATOR_SUBSCRIPTION_ID,
      ACI_RESOURCE_GROUP: EMULATOR_RESOURCE_GROUP,
      ACI_REGION: "eastus",
      ACI_ARM_ENDPOINT: emulator.url,
      ACI_ARM_AUDIENCE: "https://management.azure.com",
      KEY_VAULT_URI: keyVault.vaultUri,
      ...(options.storageConnectionString ? { AzureWebJobsStorage: options.storageConnectionString } : {}),
    };
    const app = await startApp(loadConfig(env), clock, options);
    const vault = keyVault;
    return {
      ...app,
      emulator,
      keyVault: vault,
      close: async () => {
        await app.close();
        await Promise.all([emulator.close(), vault.close()]);
      },
    };
  } catch (error) {
    await Promise.all([emulator.close(), keyVault?.close()]);
    throw error;
  }
}

/** The app against the Azure named by the process's settings, with durable timers in real time. */
export async function startAzureApp(options: LocalAppOptions = {}): Promise<LocalApp> {
  return startApp(loadConfig(process.env), systemClock, options);
}

async function startApp(config: AppConfig, clock: Clock, options: LocalAppOptions): Promise<LocalApp> {
  const jobs = loadJobs(options.jobDefinitions);
  const host = new DurableHost({
    clock,
    maxQueuePollingIntervalMs: options.maxQueuePollingIntervalMs ?? maxQueuePollingIntervalMs(),
    ...(options.log ? { log: options.log } : {}),
    ...(options.activityRedelivery ? { activityRedelivery: options.activityRedelivery } : {}),
  });
  let services: AppServices | undefined;
  const captured = await captureRegistrations(() => {
    services = createServices(config, jobs, options.serviceOptions);
    registerFunctions(services);
    options.registerMore?.();
  });
  const journal = options.episodeJournal;
  host.registerCaptured(
    journal
      ? captured.map((fn) =>
          Object.values(fn.metadata.bindings).some((binding) => binding.type === "orchestrationTrigger")
            ? { ...fn, handler: journalEpisodes(fn.name, fn.handler as OrchestrationHandler, journal) as typeof fn.handler }
            : fn,
        )
      : captured,
  );
  return {
    host,
    config,
    jobs,
    services: services!,
    clock,
    // Stops pending real-time timers too; a run in flight is abandoned, as when a host process stops.
    close: async () => {
      host.dispose();
    },
  };
}

/**
 * `maxQueuePollingInterval` as the Functions host would take it: an `AzureFunctionsJobHost__…` app setting
 * over host.json, else the Azure Storage provider's 30 s default.
 */
export function maxQueuePollingIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const override = env.AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval;
  const host = JSON.parse(readFileSync(join(__dirname, "..", "..", "host.json"), "utf8")) as {
    extensions?: { durableTask?: { storageProvider?: { maxQueuePollingInterval?: string } } };
  };
  const text = override ?? host.extensions?.durableTask?.storageProvider?.maxQueuePollingInterval;
  // TimeSpan's "[d.]hh:mm:ss[.fff]".
  const match = text === undefined ? null : /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/u.exec(text);
  if (!match) return DEFAULT_MAX_QUEUE_POLLING_MS;
  return Math.round((((Number(match[1] ?? 0) * 24 + Number(match[2])) * 60 + Number(match[3])) * 60 + Number(match[4])) * 1_000);
}
