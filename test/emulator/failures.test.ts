import type { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { jobGroup, RESOURCE_GROUP, useEmulator, ANONYMOUS_TEST_REGISTRY } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T04:00:00.000Z"));
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;

useEmulator(clock, (started, sdk) => {
  emulator = started;
  client = sdk;
}, { registries: [ANONYMOUS_TEST_REGISTRY] });

async function deleteAndExpectNoGroups(name: string): Promise<void> {
  await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name);
  expect(emulator.listGroups()).toEqual([]);
}

function create(name: string, image: string) {
  return client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, name, jobGroup(image), { updateIntervalInMs: 10 });
}

describe("scripted failures", () => {
  it("an image pull that keeps failing: Waiting with Failed and BackOff events, provisioning and operation Failed", async () => {
    emulator.setBehaviour("contoso.azurecr.io/flaky:1", { pullFailure: {} });
    const poller = await create("pull-fails", "contoso.azurecr.io/flaky:1");
    clock.advanceBy(5_000);
    await expect(poller.pollUntilDone()).rejects.toThrow(
      "The long-running operation has failed. RegistryErrorResponse. An error response is received from the docker registry 'contoso.azurecr.io'. Please retry later.",
    );
    clock.advanceBy(60_000);
    const group = await client.containerGroups.get(RESOURCE_GROUP, "pull-fails");
    expect(group).toMatchObject({ provisioningState: "Failed", instanceView: { state: "Pending" } });
    const view = group.containers[0]?.instanceView;
    expect(view?.currentState).toMatchObject({ state: "Waiting", detailStatus: "" });
    expect(view?.events?.find((event) => event.name === "Failed")).toMatchObject({
      type: "Warning",
      message: expect.stringMatching(/^Failed to pull image "contoso\.azurecr\.io\/flaky:1": rpc error: /u),
    });
    expect(view?.events?.find((event) => event.name === "BackOff")).toMatchObject({ type: "Normal", message: 'Back-off pulling image "contoso.azurecr.io/flaky:1"' });
    expect(view?.events?.find((event) => event.name === "Pulling")?.count).toBeGreaterThan(1); // it keeps trying
    await expect(client.containers.listLogs(RESOURCE_GROUP, "pull-fails", "job")).rejects.toMatchObject({ statusCode: 400, code: "ContainerLogNotAvailable" });
    await deleteAndExpectNoGroups("pull-fails");
  });

  it("a provisioning failure fails the group after Pending, with the scripted error", async () => {
    const message = "The requested resource with '1' CPU and '1.5' GB memory is not available in the location 'eastus' at this moment. Please retry with a different resource request or in another location.";
    emulator.setBehaviour("contoso.azurecr.io/big:1", { provisioningFailure: { code: "ServiceUnavailable", message } });
    const poller = await create("no-capacity", "contoso.azurecr.io/big:1");
    clock.advanceBy(2_000);
    await expect(poller.pollUntilDone()).rejects.toThrow(`The long-running operation has failed. ServiceUnavailable. ${message}`);
    const group = await client.containerGroups.get(RESOURCE_GROUP, "no-capacity");
    expect(group).toMatchObject({ provisioningState: "Failed", instanceView: { state: "Pending" } });
    expect(group.instanceView?.events).toEqual([expect.objectContaining({ name: "ServiceUnavailable", type: "Warning", message, count: 1 })]);
    expect(group.containers[0]?.instanceView).toBeUndefined();
    await deleteAndExpectNoGroups("no-capacity");
  });

  it("an OOM kill ends the container with exit code 137 and detailStatus OOMKilled", async () => {
    emulator.setBehaviour("contoso.azurecr.io/hungry:1", { oomKilled: true, runMs: 2_000, logs: ["allocating"] });
    await create("oom", "contoso.azurecr.io/hungry:1");
    clock.advanceBy(5_000 + 2_000);
    const group = await client.containerGroups.get(RESOURCE_GROUP, "oom");
    expect(group.instanceView?.state).toBe("Failed");
    expect(group.containers[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 137, detailStatus: "OOMKilled" });
    expect(await client.containers.listLogs(RESOURCE_GROUP, "oom", "job")).toEqual({ content: "allocating\n" });
    await deleteAndExpectNoGroups("oom");
  });

  it("platform restarts under policy Never after a nonzero exit: restartCount and previousState", async () => {
    emulator.setBehaviour("contoso.azurecr.io/crashy:1", { exitCode: 1, runMs: 1_000, platformRestarts: 2 });
    await create("crashy", "contoso.azurecr.io/crashy:1");
    clock.advanceBy(5_000 + 1_000);
    const backingOff = (await client.containerGroups.get(RESOURCE_GROUP, "crashy")).containers[0]?.instanceView;
    expect(backingOff).toMatchObject({ restartCount: 0, currentState: { state: "Waiting" }, previousState: { state: "Terminated", exitCode: 1, detailStatus: "Error" } });

    clock.advanceBy(10_000);
    const restarted = await client.containerGroups.get(RESOURCE_GROUP, "crashy");
    expect(restarted.instanceView?.state).toBe("Running");
    expect(restarted.containers[0]?.instanceView).toMatchObject({ restartCount: 1, currentState: { state: "Running" }, previousState: { exitCode: 1 } });

    clock.advanceBy(1_000 + 20_000 + 1_000);
    const final = await client.containerGroups.get(RESOURCE_GROUP, "crashy");
    expect(final.instanceView?.state).toBe("Failed");
    expect(final.containers[0]?.instanceView).toMatchObject({ restartCount: 2, currentState: { state: "Terminated", exitCode: 1 }, previousState: { state: "Terminated", exitCode: 1 } });
    expect(final.containers[0]?.instanceView?.events).toContainEqual(expect.objectContaining({ name: "Started", count: 3 }));
    expect(emulator.listGroups()[0]?.containers).toEqual([{ name: "job", state: "Terminated", exitCode: 1, restartCount: 2 }]);
    await deleteAndExpectNoGroups("crashy");
  });

  it("an unhealthy group reports provisioning Unhealthy while its container runs", async () => {
    emulator.setBehaviour("contoso.azurecr.io/sick:1", { unhealthy: true, runMs: Number.POSITIVE_INFINITY });
    const poller = await create("sick", "contoso.azurecr.io/sick:1");
    clock.advanceBy(5_000);
    await expect(poller.pollUntilDone()).rejects.toThrow("ContainerGroupUnhealthy");
    const group = await client.containerGroups.get(RESOURCE_GROUP, "sick");
    expect(group).toMatchObject({ provisioningState: "Unhealthy", instanceView: { state: "Running" } });
    expect(group.containers[0]?.instanceView?.currentState?.state).toBe("Running");
    await deleteAndExpectNoGroups("sick");
  });

  it("a create that never finishes fails after the 30-minute timeout", async () => {
    emulator.setBehaviour("contoso.azurecr.io/stuck:1", { createTimeout: true });
    const poller = await create("stuck", "contoso.azurecr.io/stuck:1");
    clock.advanceBy(29 * 60_000);
    await poller.poll();
    expect(poller.isDone()).toBe(false); // "Creating" is not a terminal status for the poller (§4.2)
    expect((await client.containerGroups.get(RESOURCE_GROUP, "stuck")).containers[0]?.instanceView?.currentState?.state).toBe("Waiting");
    clock.advanceBy(60_000);
    await expect(poller.pollUntilDone()).rejects.toThrow("ResourceDeploymentFailure");
    expect((await client.containerGroups.get(RESOURCE_GROUP, "stuck")).provisioningState).toBe("Failed");
    await deleteAndExpectNoGroups("stuck");
  });

  it("an init container that fails keeps the containers from starting", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "init-fails", {
      ...jobGroup("hello-world"),
      initContainers: [{ name: "setup", image: "busybox", command: ["sh", "-c", "echo preparing; sleep 1; exit 4"] }],
    });
    clock.advanceBy(5_000 + 1_000);
    const group = await client.containerGroups.get(RESOURCE_GROUP, "init-fails");
    expect(group).toMatchObject({ provisioningState: "Failed", instanceView: { state: "Failed" } });
    expect(group.initContainers?.[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 4 });
    expect(group.containers[0]?.instanceView?.currentState?.state).toBe("Waiting");
    expect(await client.containers.listLogs(RESOURCE_GROUP, "init-fails", "setup")).toEqual({ content: "preparing\n" });
    await deleteAndExpectNoGroups("init-fails");
  });
});
