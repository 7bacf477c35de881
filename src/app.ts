/**
 * @module
 * The composition root: from validated settings and job definitions to registered functions. Clients
 * are built here once and handed to the activity factories; nothing below reads settings itself.
 */
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { AciClient, type AciClientOptions } from "./aci/client";
import { createContainerGroupActivities } from "./activities/containerGroup";
import { createJobStateActivities } from "./activities/jobState";
import { createRunRecordActivities } from "./activities/runRecord";
import { createRunSlotActivities } from "./activities/runSlots";
import { checkSettingsForJobs, deploymentName, type AppConfig } from "./config";
import { registerDurableFunctions } from "./functions/durableFunctions";
import { registerJobsApi } from "./functions/jobsApi";
import { registerOpenApi } from "./functions/openApi";
import { registerOrphanSweeper } from "./functions/orphanSweeper";
import { registerRunHistoryApi } from "./functions/runHistoryApi";
import { registerRunRetention } from "./functions/runRetention";
import { registerRunsApi } from "./functions/runsApi";
import { registerScheduledRuns } from "./functions/scheduledRuns";
import type { JobRegistry } from "./jobs";
import { secretReferencesOf } from "./jobs/container";
import { createBlobIdempotencyKeys, type IdempotencyKeys } from "./runs/idempotency";
import { createBlobJobStateStore, type JobStateStore } from "./runs/jobState";
import { createBlobRunQueue, type RunQueue } from "./runs/runQueue";
import { createBlobLogArchive, type LogArchive } from "./runs/logArchive";
import { createBlobRunIndex, type RunIndex } from "./runs/runIndex";
import { createBlobRunSlots, type RunSlots } from "./runs/runSlots";
import { createAppInsightsTelemetry } from "./telemetry/appInsights";
import { noTelemetry, type Telemetry } from "./telemetry/events";
import { createKeyVaultSecretResolver, noSecretStore, type KeyVaultSecretResolverOptions, type SecretResolver } from "./secrets";

export interface AppServices {
  readonly config: AppConfig;
  readonly jobs: JobRegistry;
  readonly aci: AciClient;
  /** The app's Key Vault (KEY_VAULT_URI), or a store that refuses every reference when no job uses secrets. */
  readonly secrets: SecretResolver;
  readonly slots: RunSlots | undefined;
  /** The runs' log records; undefined without storage. */
  readonly archive: LogArchive | undefined;
  /** Paused schedules, failure counts and schedule records; undefined without storage. */
  readonly jobState: JobStateStore | undefined;
  /** Idempotency-Key headers of run requests; undefined without storage. */
  readonly idempotency: IdempotencyKeys | undefined;
  /** Runs waiting for a slot (overlap policies, backfills); undefined without storage. */
  readonly queue: RunQueue | undefined;
  /** The list of runs (GET …/runs); undefined without storage. */
  readonly index: RunIndex | undefined;
  /** Events for Azure Monitor's alert rules; nowhere without Application Insights. */
  readonly telemetry: Telemetry;
}

export interface ServiceOptions {
  /** Defaults to DefaultAzureCredential: managed identity in Azure, `az login` on a laptop. */
  readonly credential?: TokenCredential;
  /** Tuning for tools that run against the local emulator (shorter SDK retry delays). */
  readonly aci?: Pick<AciClientOptions, "retry" | "lroPollIntervalMs" | "requestTimeoutMs">;
  /** The same for the Key Vault client (the SDK's retries of 429 and 5xx). */
  readonly keyVault?: Pick<KeyVaultSecretResolverOptions, "retry">;
  /** Instead of Application Insights (tests capture events). */
  readonly telemetry?: Telemetry;
  /** Instead of the `aci-jobs-runs` blob container: tests that share one Azurite keep their runs apart. */
  readonly runStateContainer?: string;
}

export function createServices(config: AppConfig, jobs: JobRegistry, options: ServiceOptions = {}): AppServices {
  checkSettingsForJobs(
    config,
    jobs.all.filter((job) => secretReferencesOf(job.container).length > 0 || job.notify).map((job) => job.id),
  );
  const credential = options.credential ?? new DefaultAzureCredential();
  const aci = new AciClient({
    subscriptionId: config.subscriptionId,
    resourceGroup: config.resourceGroup,
    endpoint: config.arm.endpoint,
    audience: config.arm.audience,
    credential,
    ...options.aci,
  });
  // SecretClient answers Key Vault's authentication challenge itself: it asks the credential for a token
  // for the resource the vault names, so no audience is configured here.
  const secrets = config.keyVaultUri ? createKeyVaultSecretResolver(config.keyVaultUri, credential, options.keyVault) : noSecretStore;
  const slots = config.runStateStorage ? createBlobRunSlots(config.runStateStorage, credential, options.runStateContainer) : undefined;
  const archive = config.runStateStorage ? createBlobLogArchive(config.runStateStorage, credential, options.runStateContainer) : undefined;
  const jobState = config.runStateStorage ? createBlobJobStateStore(config.runStateStorage, credential, options.runStateContainer) : undefined;
  const idempotency = config.runStateStorage ? createBlobIdempotencyKeys(config.runStateStorage, credential, options.runStateContainer) : undefined;
  const queue = config.runStateStorage ? createBlobRunQueue(config.runStateStorage, credential, options.runStateContainer) : undefined;
  const index = config.runStateStorage ? createBlobRunIndex(config.runStateStorage, credential, options.runStateContainer) : undefined;
  const telemetry =
    options.telemetry ??
    (config.applicationInsights
      ? createAppInsightsTelemetry({ target: config.applicationInsights, entra: config.applicationInsightsEntra, credential, onFailure: (message) => console.warn(message) })
      : noTelemetry);
  return { config, jobs, aci, secrets, slots, archive, jobState, idempotency, queue, index, telemetry };
}

export function registerFunctions(services: AppServices): void {
  const { config, jobs, aci, secrets, slots, archive, jobState, idempotency, queue, index, telemetry } = services;
  const app = config.runStateStorage ? deploymentName(config.runStateStorage) : undefined;
  registerDurableFunctions({
    ...createContainerGroupActivities(aci, secrets, { ...(archive ? { archive } : {}), ...(app ? { app } : {}) }),
    ...createRunSlotActivities(slots, queue),
    ...createJobStateActivities(jobState),
    ...createRunRecordActivities({ index, telemetry, resourceGroup: config.resourceGroup, secrets, ...(config.publicBaseUrl ? { baseUrl: config.publicBaseUrl } : {}) }),
  });
  registerRunsApi({ jobs, defaultRegion: config.defaultRegion, slots, idempotency, queue, index });
  registerJobsApi({ jobs, defaultRegion: config.defaultRegion, jobState });
  registerRunHistoryApi({ jobs, index, archive });
  registerOpenApi();
  const webhooks = { secrets, ...(config.publicBaseUrl ? { baseUrl: config.publicBaseUrl } : {}) };
  registerScheduledRuns({ jobs, defaultRegion: config.defaultRegion, slots, jobState, queue, index, telemetry, webhooks });
  if (index) {
    registerRunRetention({ index, archive, idempotency, jobState, jobIds: jobs.all.map((job) => job.id), retentionDays: config.runRetentionDays });
  }
  // Only a deployment with storage tags its groups (and has a task hub to ask about their runs).
  if (app) registerOrphanSweeper({ aci, app, telemetry, resourceGroup: config.resourceGroup, ...(slots && queue ? { lines: { jobIds: jobs.all.map((job) => job.id), slots, queue } } : {}) });
}
