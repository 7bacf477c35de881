import type { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { armFetch, groupPath, jobGroup, LOCATION, RESOURCE_GROUP, SUBSCRIPTION_ID, useEmulator } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T02:00:00.000Z"));
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;

useEmulator(clock, (started, sdk) => {
  emulator = started;
  client = sdk;
});

/** The JSON the SDK puts on the wire (properties not flattened). */
function wireGroup(location: string, image: string): object {
  return {
    location,
    properties: {
      osType: "Linux",
      restartPolicy: "Never",
      containers: [{ name: "job", properties: { image, resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }],
    },
  };
}

async function deleteAndExpectNoGroups(...names: string[]): Promise<void> {
  for (const name of names) await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name);
  expect(emulator.listGroups()).toEqual([]);
}

describe("create, run and delete a job group", () => {
  it("beginCreateOrUpdate sends the PUT and one poll; GET walks Pending → Creating → Running → Terminated", async () => {
    const poller = await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("alpine:3.20", { command: ["/bin/sh", "-c", "echo hi; sleep 10; echo bye"] }));
    expect(emulator.requests.map(({ method, status }) => `${method} ${status}`)).toEqual(["PUT 201", "GET 200"]);
    expect(poller.getOperationState().status).toBe("running");
    expect(emulator.requests[1]?.path).toMatch(new RegExp(`/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.ContainerInstance/locations/${LOCATION}/operations/[0-9a-f-]{36}$`, "u"));

    const pending = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    expect(pending).toMatchObject({ provisioningState: "Pending", instanceView: { state: "Pending", events: [] }, sku: "Standard", initContainers: [] });
    expect(pending.containers[0]).toMatchObject({ command: ["/bin/sh", "-c", "echo hi; sleep 10; echo bye"], environmentVariables: [], ports: [] });
    expect(pending.containers[0]?.instanceView).toBeUndefined();

    clock.advanceBy(2_500); // default: 2 s Pending, 3 s Creating
    const creating = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    expect(creating.provisioningState).toBe("Creating");
    expect(creating.containers[0]?.instanceView).toMatchObject({ restartCount: 0, currentState: { state: "Waiting", detailStatus: "" } });
    expect(creating.containers[0]?.instanceView?.events?.map((event) => event.name)).toEqual(["Pulling"]);

    clock.advanceBy(3_000);
    const running = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    expect(running).toMatchObject({ provisioningState: "Succeeded", instanceView: { state: "Running" } });
    expect(running.containers[0]?.instanceView?.currentState).toEqual({ state: "Running", startTime: new Date("2026-11-28T02:00:05.000Z"), detailStatus: "" });
    expect(running.containers[0]?.instanceView?.events).toEqual([
      { count: 1, firstTimestamp: new Date("2026-11-28T02:00:02Z"), lastTimestamp: new Date("2026-11-28T02:00:02Z"), name: "Pulling", message: 'pulling image "alpine:3.20"', type: "Normal" },
      { count: 1, firstTimestamp: new Date("2026-11-28T02:00:04Z"), lastTimestamp: new Date("2026-11-28T02:00:04Z"), name: "Pulled", message: 'Successfully pulled image "alpine:3.20"', type: "Normal" },
      { count: 1, firstTimestamp: new Date("2026-11-28T02:00:05Z"), lastTimestamp: new Date("2026-11-28T02:00:05Z"), name: "Created", message: "Created container", type: "Normal" },
      { count: 1, firstTimestamp: new Date("2026-11-28T02:00:05Z"), lastTimestamp: new Date("2026-11-28T02:00:05Z"), name: "Started", message: "Started container", type: "Normal" },
    ]);
    expect(await client.containers.listLogs(RESOURCE_GROUP, "job-1", "job")).toEqual({ content: "hi\n" });

    await poller.poll();
    expect(poller.getOperationState().status).toBe("succeeded");

    clock.advanceBy(10_000);
    const done = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    expect(done.instanceView?.state).toBe("Succeeded");
    expect(done.containers[0]?.instanceView).toMatchObject({
      restartCount: 0,
      currentState: { state: "Terminated", exitCode: 0, detailStatus: "Completed", startTime: new Date("2026-11-28T02:00:05.000Z"), finishTime: new Date("2026-11-28T02:00:15.000Z") },
    });
    expect(emulator.listGroups()).toEqual([
      {
        subscriptionId: SUBSCRIPTION_ID,
        resourceGroup: RESOURCE_GROUP,
        name: "job-1",
        location: LOCATION,
        tags: {},
        provisioningState: "Succeeded",
        state: "Succeeded",
        containers: [{ name: "job", state: "Terminated", exitCode: 0, restartCount: 0 }],
      },
    ]);

    const deleted = await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "job-1");
    expect(deleted).toMatchObject({ name: "job-1", provisioningState: "Succeeded" });
    expect(emulator.requests.at(-1)).toMatchObject({ method: "DELETE", status: 200 });
    await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "job-1");
    expect(emulator.requests.at(-1)).toMatchObject({ method: "DELETE", status: 204 });
    await expect(client.containerGroups.get(RESOURCE_GROUP, "job-1")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
      message: expect.stringContaining(`The Resource 'Microsoft.ContainerInstance/containerGroups/job-1' under resource group '${RESOURCE_GROUP}' was not found.`),
    });
    expect(emulator.listGroups()).toEqual([]);
  });

  it("beginCreateOrUpdateAndWait completes and returns the final GET", async () => {
    const ticker = setInterval(() => clock.advanceBy(1_000), 5);
    try {
      const group = await client.containerGroups.beginCreateOrUpdateAndWait(RESOURCE_GROUP, "job-2", jobGroup("hello-world"), { updateIntervalInMs: 10 });
      expect(group.provisioningState).toBe("Succeeded");
      expect(group.containers[0]?.instanceView?.currentState?.state).toMatch(/^(Running|Terminated)$/u);
    } finally {
      clearInterval(ticker);
    }
    await deleteAndExpectNoGroups("job-2");
  });

  it("answers the PUT like the real service: 201 then 200, Azure-AsyncOperation on the emulator, no Location", async () => {
    const put = (): Promise<Response> => armFetch(emulator, groupPath("job-3"), { method: "PUT", body: JSON.stringify(wireGroup("East US", "hello-world")) });

    const created = await put();
    expect(created.status).toBe(201);
    expect(created.headers.get("azure-asyncoperation")).toMatch(new RegExp(`^${emulator.url}/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.ContainerInstance/locations/eastus/operations/[0-9a-f-]{36}\\?api-version=2018-06-01$`, "u"));
    expect(created.headers.get("location")).toBeNull();
    expect(created.headers.get("retry-after")).toBeNull();
    expect(created.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(created.headers.get("x-ms-request-id")).toMatch(/^eastus:[0-9a-f-]{36}$/u);
    expect(created.headers.get("x-ms-correlation-request-id")).toMatch(/^[0-9a-f-]{36}$/u);
    expect(created.headers.get("x-ms-ratelimit-remaining-subscription-resource-requests-pt5m")).toBe("99");
    expect(created.headers.get("x-ms-ratelimit-remaining-subscription-resource-requests-pt1h")).toBe("299");
    expect(created.headers.get("x-ms-ratelimit-remaining-subscription-writes")).toBe("1199");
    expect(await created.json()).toMatchObject({
      id: groupPath("job-3"),
      name: "job-3",
      type: "Microsoft.ContainerInstance/containerGroups",
      location: "eastus",
      properties: { provisioningState: "Pending", instanceView: { events: [], state: "Pending" }, sku: "Standard", initContainers: [] },
    });

    const operation = await armFetch(emulator, new URL(created.headers.get("azure-asyncoperation") ?? "").pathname, { apiVersion: "2018-06-01" });
    expect(await operation.json()).toEqual({
      id: groupPath("job-3"),
      status: "Pending",
      startTime: new Date(clock.now()).toISOString().replace("Z", "0000Z"), // .NET's seven digits, as recorded (§4.1)
      properties: { events: [] },
    });

    const updated = await put();
    expect(updated.status).toBe(200);
    expect(updated.headers.get("azure-asyncoperation")).toContain("/operations/");
    await deleteAndExpectNoGroups("job-3");
  });

  it("lists groups without instance views, case-insensitively by resource group", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-4", jobGroup("hello-world"));
    await client.containerGroups.beginCreateOrUpdate("other-rg", "job-5", jobGroup("busybox"));
    const inGroup = [];
    for await (const group of client.containerGroups.listByResourceGroup(RESOURCE_GROUP.toUpperCase())) inGroup.push(group);
    expect(inGroup.map((group) => group.name)).toEqual(["job-4"]);
    expect(inGroup[0]?.instanceView).toBeUndefined();
    const all = [];
    for await (const group of client.containerGroups.list()) all.push(group.name);
    expect(all.sort()).toEqual(["job-4", "job-5"]);
    expect((await client.containerGroups.get(RESOURCE_GROUP, "JOB-4")).name).toBe("job-4");

    const usages = await client.location.listUsage(LOCATION);
    const usageList = [];
    for await (const usage of usages) usageList.push(usage);
    expect(usageList).toContainEqual(expect.objectContaining({ name: { value: "ContainerGroups", localizedValue: "Container Groups" }, currentValue: 2, limit: 100 }));

    const patched = await client.containerGroups.update(RESOURCE_GROUP, "job-4", { tags: { owner: "jobs" } });
    expect(patched.tags).toEqual({ owner: "jobs" });
    expect(emulator.listGroups().find((group) => group.name === "job-4")?.tags).toEqual({ owner: "jobs" });
    expect(await client.containerGroups.getOutboundNetworkDependenciesEndpoints(RESOURCE_GROUP, "job-4")).toEqual([]);

    await client.containerGroups.beginDeleteAndWait("other-rg", "job-5");
    await deleteAndExpectNoGroups("job-4");
  });
});

describe("restart policies (§6)", () => {
  it("OnFailure restarts a failing container with back-off; previousState holds the last run", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-6", jobGroup("busybox", { restartPolicy: "OnFailure", command: ["sh", "-c", "sleep 1; exit 2"] }));
    clock.advanceBy(5_000 + 1_000);
    const waiting = await client.containerGroups.get(RESOURCE_GROUP, "job-6");
    expect(waiting.instanceView?.state).toBe("Running");
    expect(waiting.containers[0]?.instanceView).toMatchObject({
      restartCount: 0,
      currentState: { state: "Waiting", detailStatus: "CrashLoopBackOff: Back-off restarting failed" },
      previousState: { state: "Terminated", exitCode: 2, detailStatus: "Error" },
    });
    clock.advanceBy(10_000);
    const restarted = await client.containerGroups.get(RESOURCE_GROUP, "job-6");
    expect(restarted.containers[0]?.instanceView).toMatchObject({ restartCount: 1, currentState: { state: "Running" }, previousState: { state: "Terminated", exitCode: 2 } });
    expect(restarted.containers[0]?.instanceView?.events).toContainEqual(expect.objectContaining({ name: "Started", count: 2 }));
    await deleteAndExpectNoGroups("job-6");
  });

  it("OnFailure ends Succeeded after a zero exit; Always keeps restarting even after exit 0", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-7", jobGroup("busybox", { restartPolicy: "OnFailure", command: ["sh", "-c", "echo ok"] }));
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-8", jobGroup("busybox", { restartPolicy: "Always", command: ["sh", "-c", "echo ok"] }));
    clock.advanceBy(5_000 + 60_000);
    const onFailure = await client.containerGroups.get(RESOURCE_GROUP, "job-7");
    expect(onFailure.instanceView?.state).toBe("Succeeded");
    expect(onFailure.containers[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 0 });
    const always = await client.containerGroups.get(RESOURCE_GROUP, "job-8");
    expect(always.instanceView?.state).toBe("Running");
    expect(always.containers[0]?.instanceView?.restartCount).toBeGreaterThanOrEqual(2);
    await deleteAndExpectNoGroups("job-7", "job-8");
  });
});

describe("updates, stop, start and restart", () => {
  it("a PUT that changes the containers redeploys them; a tags-only PUT does not", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-9", jobGroup("busybox", { command: ["sh", "-c", "echo v1; sleep 100"] }));
    clock.advanceBy(10_000);
    const tagsOnly = await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-9", {
      ...jobGroup("busybox", { command: ["sh", "-c", "echo v1; sleep 100"] }),
      tags: { team: "jobs" },
    });
    expect(tagsOnly.getOperationState().status).toBe("succeeded");
    const unchanged = await client.containerGroups.get(RESOURCE_GROUP, "job-9");
    expect(unchanged).toMatchObject({ tags: { team: "jobs" }, provisioningState: "Succeeded" });
    const startedBefore = unchanged.containers[0]?.instanceView?.currentState?.startTime;
    expect(startedBefore).toEqual(new Date(clock.now() - 5_000));

    const changed = await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-9", jobGroup("busybox", { command: ["sh", "-c", "echo v2; sleep 100"] }));
    expect(changed.getOperationState().status).toBe("running");
    expect((await client.containerGroups.get(RESOURCE_GROUP, "job-9")).provisioningState).toBe("Pending");
    clock.advanceBy(5_000);
    const redeployed = await client.containerGroups.get(RESOURCE_GROUP, "job-9");
    expect(redeployed.containers[0]?.command).toEqual(["sh", "-c", "echo v2; sleep 100"]);
    expect(redeployed.containers[0]?.instanceView?.currentState?.startTime?.getTime()).toBeGreaterThan(startedBefore?.getTime() ?? Infinity);
    expect(await client.containers.listLogs(RESOURCE_GROUP, "job-9", "job")).toEqual({ content: "v2\n" });
    expect(redeployed.tags).toBeUndefined();
    await deleteAndExpectNoGroups("job-9");
  });

  it("stop deallocates the group, start brings it back, restart reruns it", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-10", jobGroup("hello-world"));
    clock.advanceBy(10_000);
    await client.containerGroups.stop(RESOURCE_GROUP, "job-10");
    const stopped = await client.containerGroups.get(RESOURCE_GROUP, "job-10");
    expect(stopped.instanceView?.state).toBe("Stopped");
    expect(stopped.containers[0]?.instanceView).toBeUndefined();

    const start = await client.containerGroups.beginStart(RESOURCE_GROUP, "job-10", { updateIntervalInMs: 10 });
    expect((await client.containerGroups.get(RESOURCE_GROUP, "job-10")).provisioningState).toBe("Pending");
    clock.advanceBy(5_000);
    await start.pollUntilDone();
    expect((await client.containerGroups.get(RESOURCE_GROUP, "job-10")).instanceView?.state).toBe("Running");

    clock.advanceBy(5_000);
    const restart = await client.containerGroups.beginRestart(RESOURCE_GROUP, "job-10", { updateIntervalInMs: 10 });
    expect(emulator.requests.at(-2)).toMatchObject({ method: "POST", status: 204 });
    clock.advanceBy(5_000);
    await restart.pollUntilDone();
    const rerun = await client.containerGroups.get(RESOURCE_GROUP, "job-10");
    expect(rerun.containers[0]?.instanceView?.currentState?.startTime).toEqual(new Date(clock.now()));
    await deleteAndExpectNoGroups("job-10");
  });
});
