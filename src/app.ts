/**
 * @module
 * The composition root: from validated settings and job definitions to registered functions. Clients
 * are built here once and handed to the activity factories; nothing below reads settings itself.
 */
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { AciClient, type AciClientOptions } from "./aci/client";
import { createContainerGroupActivities } from "./activities/containerGroup";
import { createRunSlotActivities } from "./activities/runSlots";
import type { AppConfig } from "./config";
import { registerDurableFunctions } from "./functions/durableFunctions";
import { registerRunsApi } from "./functions/runsApi";
import { registerScheduledRuns } from "./functions/scheduledRuns";
import type { JobRegistry } from "./jobs";
import { createBlobRunSlots, type RunSlots } from "./runs/runSlots";

export interface AppServices {
  readonly config: AppConfig;
  readonly jobs: JobRegistry;
  readonly aci: AciClient;
  readonly slots: RunSlots | undefined;
}

export interface ServiceOptions {
  /** Defaults to DefaultAzureCredential: managed identity in Azure, `az login` on a laptop. */
  readonly credential?: TokenCredential;
  /** Tuning for tools that run against the local emulator (shorter SDK retry delays). */
  readonly aci?: Pick<AciClientOptions, "retry" | "lroPollIntervalMs">;
}

export function createServices(config: AppConfig, jobs: JobRegistry, options: ServiceOptions = {}): AppServices {
  const credential = options.credential ?? new DefaultAzureCredential();
  const aci = new AciClient({
    subscriptionId: config.subscriptionId,
    resourceGroup: config.resourceGroup,
    endpoint: config.arm.endpoint,
    audience: config.arm.audience,
    credential,
    ...options.aci,
  });
  const slots = config.runStateStorage ? createBlobRunSlots(config.runStateStorage, credential) : undefined;
  return { config, jobs, aci, slots };
}

export function registerFunctions(services: AppServices): void {
  const { config, jobs, aci, slots } = services;
  registerDurableFunctions({ ...createContainerGroupActivities(aci), ...createRunSlotActivities(slots) });
  registerRunsApi({ jobs, defaultRegion: config.defaultRegion, slots });
  registerScheduledRuns({ jobs, defaultRegion: config.defaultRegion, slots });
}
