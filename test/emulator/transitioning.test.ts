/**
 * ACI answers 409 ContainerGroupTransitioning to PUT and DELETE while another operation is in flight
 * (aci-rest-api.md §8), e.g. while a new group provisions. The emulator does so by default; the other
 * emulator test files turn it off (test/emulator/sdkClient.ts) to delete what they create at once.
 */
import type { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAciEmulator, type AciEmulator } from "../../dev/aci-emulator";
import { VirtualClock } from "../../dev/clock";
import { createSdkClient, jobGroup, RESOURCE_GROUP } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T06:00:00.000Z"));
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;

beforeAll(async () => {
  emulator = await startAciEmulator({ clock });
  client = createSdkClient(emulator);
});

afterAll(async () => {
  await emulator.close();
});

describe("a group that is still provisioning", () => {
  it("refuses DELETE and a second PUT with 409 until it has provisioned (2 s Pending + 3 s Creating), then deletes", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "provisioning", jobGroup("hello-world"));
    const transitioning = { statusCode: 409, code: "ContainerGroupTransitioning" };
    await expect(client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "provisioning")).rejects.toMatchObject(transitioning);
    clock.advanceBy(4_000);
    await expect(client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "provisioning", jobGroup("hello-world", { command: ["/hello"] }))).rejects.toMatchObject(transitioning);
    clock.advanceBy(1_000);
    await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "provisioning");
    expect(emulator.listGroups()).toEqual([]);
  });

  it("lets a behaviour script a shorter window (transitioningMs)", async () => {
    emulator.setBehaviour("busybox", { transitioningMs: 0 });
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "at-once", jobGroup("busybox"));
    await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "at-once");
    expect(emulator.listGroups()).toEqual([]);
  });
});
