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
  {
    name: "RUN_RETENTION_DAYS",
    required: false,
    description:
      "Days a finished run is kept (its history, index entry, archived logs), counted from when it finished; then a daily timer purges it. Default 30, 1 to 3650.",
  },
  {
    name: "WEBSITE_HOSTNAME",
    required: false,
    description:
      "The app's host name (App Service sets it, e.g. func-abc123.azurewebsites.net): notifications link to the run there. Locally, localhost:7071.",
  },
  {
    name: "APPLICATIONINSIGHTS_CONNECTION_STRING",
    required: false,
    description:
      "Application Insights of the app: the Functions host sends its logs there, and aci-jobs its events (RunFinished, ContainerGroupNotDeleted, ScheduleSlot, NotificationFailed) that the alert rules query.",
  },
  {
    name: "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    required: false,
    description:
      "`Authorization=AAD;ClientId=<identity client id>`: send telemetry with Microsoft Entra tokens (needed when the component's local authentication is off, as infra/ deploys it).",
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
  /** The app's address for links to runs (https://<WEBSITE_HOSTNAME>); absent when unknown. */
  readonly publicBaseUrl: string | undefined;
  /** How long finished runs are kept, in days. */
  readonly runRetentionDays: number;
  /** Where aci-jobs sends its events; absent when Application Insights is not configured. */
  readonly applicationInsights: ApplicationInsightsTarget | undefined;
  /**
   * Send telemetry with Microsoft Entra tokens (APPLICATIONINSIGHTS_AUTHENTICATION_STRING says
   * Authorization=AAD). They come from the app's credential, whose identity infra/ makes the same as
   * the string's ClientId (AZURE_CLIENT_ID).
   */
  readonly applicationInsightsEntra: boolean;
}

export interface ApplicationInsightsTarget {
  readonly instrumentationKey: string;
  /** The ingestion endpoint's origin, e.g. https://eastus-8.in.applicationinsights.azure.com. */
  readonly ingestionEndpoint: string;
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
  RUN_RETENTION_DAYS: z.coerce
    .number({ error: "RUN_RETENTION_DAYS must be a whole number of days" })
    .int({ error: "RUN_RETENTION_DAYS must be a whole number of days" })
    .min(1, { error: "RUN_RETENTION_DAYS must be at least 1" })
    .max(3650, { error: "RUN_RETENTION_DAYS must be at most 3650 (10 years)" })
    .default(30),
  WEBSITE_HOSTNAME: z.string().trim().optional(),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().trim().optional(),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z.string().trim().optional(),
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
  const problems: string[] = [];
  const applicationInsights = applicationInsightsFrom(values, problems);
  if (problems.length > 0) throw new ConfigError(problems);
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
    publicBaseUrl: values.WEBSITE_HOSTNAME ? `${/^localhost(:|$)/u.test(values.WEBSITE_HOSTNAME) ? "http" : "https"}://${values.WEBSITE_HOSTNAME}` : undefined,
    runRetentionDays: values.RUN_RETENTION_DAYS,
    applicationInsights,
    applicationInsightsEntra: values.APPLICATIONINSIGHTS_AUTHENTICATION_STRING !== undefined,
  });
}

/** Global ingestion endpoint, for connection strings without IngestionEndpoint (instrumentation-key era). */
const DEFAULT_INGESTION_ENDPOINT = "https://dc.services.visualstudio.com";

/**
 * The connection string's InstrumentationKey and IngestionEndpoint (Learn: azure-monitor/app/connection-strings),
 * and the authentication string's `Authorization=AAD;ClientId=…` (Learn: azure-monitor/app/azure-ad-authentication,
 * "Azure Functions": APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
 */
function applicationInsightsFrom(values: z.infer<typeof envSchema>, problems: string[]): ApplicationInsightsTarget | undefined {
  const auth = values.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ? keyValues(values.APPLICATIONINSIGHTS_AUTHENTICATION_STRING) : undefined;
  if (auth && auth.get("authorization")?.toLowerCase() !== "aad") {
    problems.push("APPLICATIONINSIGHTS_AUTHENTICATION_STRING must say Authorization=AAD");
  }
  if (!values.APPLICATIONINSIGHTS_CONNECTION_STRING) return undefined;
  const parts = keyValues(values.APPLICATIONINSIGHTS_CONNECTION_STRING);
  const instrumentationKey = parts.get("instrumentationkey");
  const ingestionEndpoint = (parts.get("ingestionendpoint") ?? DEFAULT_INGESTION_ENDPOINT).replace(/\/+$/u, "");
  if (!instrumentationKey) problems.push("APPLICATIONINSIGHTS_CONNECTION_STRING has no InstrumentationKey");
  if (!URL.canParse(ingestionEndpoint)) problems.push("APPLICATIONINSIGHTS_CONNECTION_STRING has an IngestionEndpoint that is not a URL");
  if (!instrumentationKey || !URL.canParse(ingestionEndpoint)) return undefined;
  return Object.freeze({ instrumentationKey, ingestionEndpoint });
}

function keyValues(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) map.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return map;
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
