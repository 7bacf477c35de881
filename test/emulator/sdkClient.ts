/**
 * Test helpers: the production SDK and credential pointed at an emulator, and small group builders.
 */
import { ContainerInstanceManagementClient, type ContainerGroup, type ContainerInstanceManagementClientOptionalParams } from "@azure/arm-containerinstance";
import { DefaultAzureCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { startAciEmulator, type AciEmulator, type AciEmulatorOptions } from "../../dev/aci-emulator";
import type { Clock } from "../../dev/clock";

export const SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000001";
export const RESOURCE_GROUP = "jobs-rg";
export const LOCATION = "eastus";

/**
 * The real client and DefaultAzureCredential, which gets its token from the emulator's managed-identity
 * endpoint (aci-rest-api.md §14). Retries are fast except where a test relies on Retry-After.
 */
export function createSdkClient(emulator: AciEmulator, options: ContainerInstanceManagementClientOptionalParams = {}): ContainerInstanceManagementClient {
  process.env["IDENTITY_ENDPOINT"] = emulator.identityEndpoint;
  process.env["IDENTITY_HEADER"] = emulator.identityHeader;
  process.env["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential";
  return new ContainerInstanceManagementClient(new DefaultAzureCredential(), SUBSCRIPTION_ID, {
    endpoint: emulator.url,
    credentialScopes: "https://management.azure.com/.default",
    retryOptions: { retryDelayInMs: 50, maxRetryDelayInMs: 200 },
    ...options,
  });
}

export interface GroupOptions {
  readonly command?: string[];
  readonly restartPolicy?: "Always" | "OnFailure" | "Never";
  readonly containerName?: string;
}

/** A one-container job group: 1 CPU, 1.5 GB, Linux, restart policy Never unless given. */
export function jobGroup(image: string, options: GroupOptions = {}): ContainerGroup {
  return {
    location: LOCATION,
    osType: "Linux",
    restartPolicy: options.restartPolicy ?? "Never",
    containers: [
      {
        name: options.containerName ?? "job",
        image,
        ...(options.command && { command: options.command }),
        resources: { requests: { cpu: 1, memoryInGB: 1.5 } },
      },
    ],
  };
}

/** A raw ARM call with a bearer token, for what the SDK hides (wire JSON, headers, auth failures). */
export async function armFetch(emulator: AciEmulator, path: string, init: RequestInit & { apiVersion?: string | null } = {}): Promise<Response> {
  const url = new URL(path, emulator.url);
  const apiVersion = init.apiVersion === undefined ? "2023-05-01" : init.apiVersion;
  if (apiVersion !== null) url.searchParams.set("api-version", apiVersion);
  return fetch(url, { ...init, headers: { authorization: "Bearer opaque-test-token", "content-type": "application/json", ...init.headers } });
}

export function groupPath(name: string, resourceGroup = RESOURCE_GROUP): string {
  return `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
}

/**
 * The private registry the scripted test images live on. ACR allows anonymous pull, so the files that are not
 * about registries declare it that way instead of sending credentials with every group.
 */
export const ANONYMOUS_TEST_REGISTRY = { server: "contoso.azurecr.io", anonymousPull: true } as const;

/**
 * One emulator for a test file on `clock`, with the production SDK client; `started` receives both
 * once it runs. Every test must end with no container group left, and the emulator is reset after it.
 */
export function useEmulator(
  clock: Clock,
  started: (emulator: AciEmulator, client: ContainerInstanceManagementClient) => void,
  options: Omit<AciEmulatorOptions, "clock"> = {},
): void {
  let emulator: AciEmulator | undefined;
  beforeAll(async () => {
    // These tests check rules other than timing and delete what they create at once; the 409 ACI answers
    // while a group provisions is tested on its own (lifecycle.test.ts) and is on everywhere else.
    emulator = await startAciEmulator({ ...options, clock, provisioning: { conflictsWhileProvisioning: false, ...options.provisioning } });
    started(emulator, createSdkClient(emulator));
  });
  afterEach(() => {
    expect(emulator!.listGroups()).toEqual([]);
    emulator!.reset();
  });
  afterAll(async () => {
    await emulator?.close();
  });
}
