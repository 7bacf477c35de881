import type { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAciEmulator, type AciEmulator } from "../../dev/aci-emulator";
import { createSdkClient, jobGroup, RESOURCE_GROUP } from "./sdkClient";

let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;

beforeAll(async () => {
  emulator = await startAciEmulator({ resourceGroups: [RESOURCE_GROUP] });
  client = createSdkClient(emulator, { retryOptions: { maxRetries: 0 } });
});
afterAll(async () => {
  await emulator.close();
});

describe("resource groups", () => {
  // ARM answers requests under a missing resource group with 404 ResourceGroupNotFound (aci-rest-api.md §8),
  // which a client must not confuse with a missing container group (404 ResourceNotFound).
  it("answers 404 ResourceGroupNotFound under a resource group that does not exist", async () => {
    await expect(client.containerGroups.get("no-such-rg", "job")).rejects.toMatchObject({ statusCode: 404, code: "ResourceGroupNotFound" });
    await expect(client.containerGroups.beginCreateOrUpdate("no-such-rg", "job", jobGroup("hello-world"))).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceGroupNotFound",
    });
  });

  it("answers 404 ResourceNotFound for a missing group in a resource group that exists, matching names case-insensitively", async () => {
    await expect(client.containerGroups.get(RESOURCE_GROUP.toUpperCase(), "job")).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
    expect(emulator.listGroups()).toEqual([]);
  });
});
