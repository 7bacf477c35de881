/**
 * @module
 * The one place that reads `process.env`. Every setting the app reads is listed in {@link SETTINGS}
 * (infra/ sets exactly these; a test checks the compiled template against this list). Settings are
 * parsed once at startup; a bad or missing value fails with a report that names every problem.
 */
import { hostname } from "node:os";
import { z } from "zod";

export interface SettingSpec {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
}

/** Every application setting aci-jobs reads, in one list (infra and docs follow it). */
export const SETTINGS = [
  {
    name: "AZURE_SUBSCRIPTION_ID",
    required: true,
    description: "Subscription in which container groups are created.",
  },
  {
    name: "ACI_RESOURCE_GROUP",
    required: true,
    description: "Resource group in which container groups are created (the app's role is scoped to it).",
  },
  {
    name: "ACI_REGION",
    required: true,
    description: "Region for jobs whose definition names none, e.g. eastus.",
  },
  {
    name: "ACI_ARM_ENDPOINT",
    required: false,
    description:
      "Azure Resource Manager base URL. Default https://management.azure.com; sovereign clouds and the local emulator set it.",
  },
  {
    name: "ACI_ARM_AUDIENCE",
    required: false,
    description:
      "Token audience for ARM. Default: the origin of ACI_ARM_ENDPOINT, which is right for every Azure cloud; the emulator sets https://management.azure.com.",
  },
  {
    name: "KEY_VAULT_URI",
    required: false,
    description:
      "The app's Key Vault, e.g. https://kv-abc123.vault.azure.net/. Job definitions' Key Vault references (registry passwords, secure environment values, storage and workspace keys) are read from it with the app's identity. Required when any job references a secret.",
  },
  {
    name: "AzureWebJobsStorage",
    required: false,
    description:
      "Storage connection string (local development: UseDevelopmentStorage=true). In Azure, use the identity-based AzureWebJobsStorage__blobServiceUri instead.",
  },
  {
    name: "AzureWebJobsStorage__blobServiceUri",
    required: false,
    description:
      "Blob endpoint of the host storage account, reached with the app's managed identity (run locks live there).",
  },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof SETTINGS)[number]["name"];

/** Where the app keeps its small run-coordination records (the host's own storage account). */
export type RunStateStorage =
  | { readonly kind: "connectionString"; readonly connectionString: string }
  | { readonly kind: "identity"; readonly blobServiceUri: string };

/**
 * The name of this deployment in its container groups' `aci-jobs-app` tag: the storage account that holds
 * its task hub (the hub's name is fixed in host.json), so the orphan sweeper judges only groups whose
 * runs it can look up. Every Azurite is `devstoreaccount1`, so a local host (which may run jobs in a real
 * subscription) adds the machine's name; undefined when the account cannot be told, and then groups are
 * not tagged and nothing is swept.
 */
export function deploymentName(storage: RunStateStorage, machine: string = hostname()): string | undefined {
  const local = (account: string) => `${account}@${machine}`;
  if (storage.kind === "identity") return accountOfEndpoint(storage.blobServiceUri, local);
  const connection = storage.connectionString;
  if (/UseDevelopmentStorage=true/iu.test(connection)) return local("devstoreaccount1");
  const account = /(?:^|;)\s*AccountName=([^;]+)/iu.exec(connection)?.[1]?.trim();
  const endpoint = /(?:^|;)\s*BlobEndpoint=([^;]+)/iu.exec(connection)?.[1]?.trim();
  if (endpoint && URL.canParse(endpoint)) {
    const fromEndpoint = accountOfEndpoint(endpoint, local);
    return account && isLoopback(new URL(endpoint).hostname) ? local(account) : (account ?? fromEndpoint);
  }
  return account;
}

/** https://<account>.blob.core.windows.net, or http://127.0.0.1:10000/<account> (Azurite, a local account). */
function accountOfEndpoint(endpoint: string, local: (account: string) => string): string | undefined {
  const url = new URL(endpoint);
  if (isLoopback(url.hostname)) {
    const account = url.pathname.split("/")[1];
    return account ? local(account) : undefined;
  }
  return url.hostname.split(".")[0] || undefined;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\./u.test(host);
}

export interface AppConfig {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly defaultRegion: string;
  readonly arm: { readonly endpoint: string; readonly audience: string };
  /** The vault that job definitions' Key Vault references name secrets in; absent when no job uses secrets. */
  readonly keyVaultUri: string | undefined;
  /** Absent only where no storage is configured; triggers then refuse to start runs with a clear error. */
  readonly runStateStorage: RunStateStorage | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const nonEmpty = (name: string) =>
  z.string({ error: `${name} is not set` }).trim().min(1, { error: `${name} is not set`, abort: true });

const httpsUrl = (name: string) =>
  z
    .string()
    .trim()
    .refine((value) => URL.canParse(value) && new URL(value).protocol === "https:", {
      error: `${name} must be an https URL`,
    });

// ARM resource group names: 1-90 characters of letters, digits, underscores, hyphens, periods and
// parentheses, not ending in a period (Azure resource naming rules, Microsoft.Resources).
const resourceGroupName = nonEmpty("ACI_RESOURCE_GROUP").regex(/^[-\w.()]{0,89}[-\w()]$/u, {
  error: "ACI_RESOURCE_GROUP is not a valid resource group name",
});

const envSchema = z.object({
  AZURE_SUBSCRIPTION_ID: nonEmpty("AZURE_SUBSCRIPTION_ID").regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu,
    { error: "AZURE_SUBSCRIPTION_ID must be a subscription id (a GUID)" },
  ),
  ACI_RESOURCE_GROUP: resourceGroupName,
  ACI_REGION: nonEmpty("ACI_REGION").regex(/^[a-z0-9]+$/u, {
    error: "ACI_REGION must be a region name such as eastus (lowercase, no spaces)",
  }),
  ACI_ARM_ENDPOINT: httpsUrl("ACI_ARM_ENDPOINT").default("https://management.azure.com"),
  ACI_ARM_AUDIENCE: httpsUrl("ACI_ARM_AUDIENCE").optional(),
  KEY_VAULT_URI: httpsUrl("KEY_VAULT_URI").optional(),
  AzureWebJobsStorage: z.string().trim().optional(),
  AzureWebJobsStorage__blobServiceUri: httpsUrl("AzureWebJobsStorage__blobServiceUri").optional(),
});

/** Parses the settings once; throws {@link ConfigError} listing every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  // A blank value (an empty entry in local.settings.json) counts as not set, so defaults apply.
  const settings = Object.fromEntries(SETTINGS.map(({ name }) => [name, env[name]?.trim() ? env[name] : undefined]));
  const parsed = envSchema.safeParse(settings);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => issue.message));
  }
  const values = parsed.data;
  const endpoint = values.ACI_ARM_ENDPOINT.replace(/\/+$/u, "");
  return Object.freeze({
    subscriptionId: values.AZURE_SUBSCRIPTION_ID.toLowerCase(),
    resourceGroup: values.ACI_RESOURCE_GROUP,
    defaultRegion: values.ACI_REGION,
    arm: Object.freeze({
      endpoint,
      audience: (values.ACI_ARM_AUDIENCE ?? new URL(endpoint).origin).replace(/\/+$/u, ""),
    }),
    keyVaultUri: values.KEY_VAULT_URI,
    runStateStorage: runStateStorageFrom(values),
  });
}

/**
 * Settings that only some job definitions need: KEY_VAULT_URI when a job references a Key Vault secret.
 * Called at startup with the loaded jobs, so a missing vault fails there, naming the jobs, and not at
 * the first run.
 */
export function checkSettingsForJobs(config: AppConfig, jobsUsingSecrets: readonly string[]): void {
  if (jobsUsingSecrets.length > 0 && config.keyVaultUri === undefined) {
    throw new ConfigError([
      `KEY_VAULT_URI is not set, but ${jobsUsingSecrets.length === 1 ? "job" : "jobs"} ${jobsUsingSecrets.map((id) => `"${id}"`).join(", ")} ` +
        `${jobsUsingSecrets.length === 1 ? "references" : "reference"} Key Vault secrets (set it to the app's vault, e.g. https://<vault>.vault.azure.net/)`,
    ]);
  }
}

function runStateStorageFrom(values: z.infer<typeof envSchema>): RunStateStorage | undefined {
  if (values.AzureWebJobsStorage__blobServiceUri) {
    return Object.freeze({ kind: "identity", blobServiceUri: values.AzureWebJobsStorage__blobServiceUri });
  }
  if (values.AzureWebJobsStorage) {
    return Object.freeze({ kind: "connectionString", connectionString: values.AzureWebJobsStorage });
  }
  return undefined;
}
