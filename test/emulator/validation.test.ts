import type { ContainerGroup, ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { armFetch, createSdkClient, groupPath, jobGroup, LOCATION, RESOURCE_GROUP, useEmulator, ANONYMOUS_TEST_REGISTRY } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T03:00:00.000Z"));
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;
/** No retries: these tests look at the 429 itself, and its Retry-After is minutes of real time. */
let noRetryClient: ContainerInstanceManagementClient;

useEmulator(clock, (started, sdk) => {
  emulator = started;
  client = sdk;
  noRetryClient = createSdkClient(started, { retryOptions: { maxRetries: 0 } });
}, { registries: [ANONYMOUS_TEST_REGISTRY] });

async function deleteAndExpectNoGroups(names: readonly string[]): Promise<void> {
  for (const name of names) await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name);
  expect(emulator.listGroups()).toEqual([]);
}

function createRejected(name: string, group: ContainerGroup): Promise<unknown> {
  return client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, name, group);
}

describe("PUT validation", () => {
  const base = jobGroup("hello-world");
  const cases: { title: string; name?: string; group: ContainerGroup; code: string; message?: string }[] = [
    { title: "upper case in the group name", name: "Job-1", group: base, code: "InvalidContainerGroupName" },
    { title: "consecutive hyphens in the group name", name: "job--1", group: base, code: "InvalidContainerGroupName" },
    { title: "a group name ending with a hyphen", name: "job-", group: base, code: "InvalidContainerGroupName" },
    { title: "a 64-character group name", name: "a".repeat(64), group: base, code: "InvalidContainerGroupName" },
    { title: "a missing location", group: { ...base, location: "" }, code: "LocationRequired" },
    { title: "an unknown restart policy", group: { ...base, restartPolicy: "Sometimes" }, code: "InvalidRequestContent" },
    { title: "no containers", group: { ...base, containers: [] }, code: "InvalidContainerGroupContainers" },
    { title: "an invalid container name", group: { ...base, containers: [{ ...base.containers[0]!, name: "Job_1" }] }, code: "InvalidContainerName" },
    {
      title: "an invalid environment variable name",
      group: { ...base, containers: [{ ...base.containers[0]!, environmentVariables: [{ name: "MY-VAR", value: "x" }] }] },
      code: "InvalidEnvironmentVariableName",
    },
    {
      title: "a volume mount without a volume",
      group: { ...base, containers: [{ ...base.containers[0]!, volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] }] },
      code: "InvalidVolumeMount",
    },
    {
      title: "a mount path with a colon",
      group: { ...base, volumes: [{ name: "scratch", emptyDir: {} }], containers: [{ ...base.containers[0]!, volumeMounts: [{ name: "scratch", mountPath: "C:/scratch" }] }] },
      code: "InvalidVolumeMountPath",
    },
    {
      title: "a container port missing from ipAddress.ports",
      group: { ...base, ipAddress: { type: "Public", ports: [{ port: 80 }] }, containers: [{ ...base.containers[0]!, ports: [{ port: 8080 }] }] },
      code: "InvalidContainerPorts",
    },
    {
      title: "more CPU than a Standard group may have",
      group: { ...base, containers: [{ ...base.containers[0]!, resources: { requests: { cpu: 32, memoryInGB: 4 } } }] },
      code: "ResourceRequestsExceedLimit",
    },
    { title: "an invalid DNS name label", group: { ...base, ipAddress: { type: "Public", ports: [{ port: 80 }], dnsNameLabel: "Job" } }, code: "InvalidDnsNameLabel" },
  ];

  for (const { title, name = "job-1", group, code, message } of cases) {
    it(`rejects ${title} with 400 ${code}`, async () => {
      await expect(createRejected(name, group)).rejects.toMatchObject({ statusCode: 400, code, ...(message && { message: expect.stringContaining(message) }) });
      expect(emulator.requests).toEqual([expect.objectContaining({ method: "PUT", status: 400 })]);
      expect(emulator.listGroups()).toEqual([]);
    });
  }

  it("rejects an unknown image synchronously with ACI's InaccessibleImage, saying what the emulator can run instead of blaming the credential", async () => {
    await expect(createRejected("job-1", jobGroup("contoso.azurecr.io/nope:1.0"))).rejects.toMatchObject({
      statusCode: 400,
      code: "InaccessibleImage",
      message: expect.stringMatching(
        /^The image 'contoso\.azurecr\.io\/nope:1\.0' in container group 'job-1' is not accessible\. The ACI emulator runs only its built-in images \(hello-world, busybox, alpine, ubuntu\).*--image-behaviour 'contoso\.azurecr\.io\/nope:1\.0=exit:0,duration:30s,output:hello'/u,
      ),
    });
    const twoBad = { ...jobGroup("nope-a"), containers: [{ ...jobGroup("nope-a").containers[0]!, name: "a" }, { ...jobGroup("nope-b").containers[0]!, name: "b" }] };
    await expect(createRejected("job-1", twoBad)).rejects.toMatchObject({ statusCode: 400, code: "MultipleErrorsOccurred" });
    expect(emulator.listGroups()).toEqual([]);
  });

  it("accepts a scripted image once a behaviour is set for it (`:latest` implied)", async () => {
    emulator.setBehaviour("contoso.azurecr.io/job", { runMs: 1_000 });
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("contoso.azurecr.io/job:latest"));
    await deleteAndExpectNoGroups(["job-1"]);
  });
});

describe("PUT validation of what the SDK would not send", () => {
  it("rejects a body without osType (required in 2023-05-01) with 400 InvalidRequestContent", async () => {
    const response = await armFetch(emulator, groupPath("job-1"), {
      method: "PUT",
      body: JSON.stringify({ location: LOCATION, properties: { containers: [{ name: "c", properties: { image: "hello-world", resources: { requests: { cpu: 1, memoryInGB: 1 } } } }] } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "InvalidRequestContent", message: "The request content was invalid and could not be deserialized: 'Required property 'osType' not found in JSON. Path 'properties''." },
    });
    expect(emulator.listGroups()).toEqual([]);
  });

  it("rejects malformed JSON with 400 InvalidRequestContent", async () => {
    const response = await armFetch(emulator, groupPath("job-1"), { method: "PUT", body: "{ not json" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "InvalidRequestContent" } });
    expect(emulator.listGroups()).toEqual([]);
  });
});

describe("ARM envelope", () => {
  it("requires a bearer token (401 AuthenticationFailed)", async () => {
    const response = await armFetch(emulator, groupPath("job-1"), { headers: { authorization: "" } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "AuthenticationFailed" } });
    expect(emulator.listGroups()).toEqual([]);
  });

  it("requires a supported api-version, and accepts 2018-06-01 only on operations", async () => {
    const missing = await armFetch(emulator, groupPath("job-1"), { apiVersion: null });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: "InvalidApiVersionParameter" } });
    const old = await armFetch(emulator, groupPath("job-1"), { apiVersion: "2018-06-01" });
    expect(old.status).toBe(400);
    for (const apiVersion of ["2023-05-01", "2025-09-01", "2026-05-01"]) {
      expect((await armFetch(emulator, groupPath("job-1"), { apiVersion })).status).toBe(404);
    }
    expect(emulator.listGroups()).toEqual([]);
  });

  it("reports isCreatedFromStandbyPool only for api-versions that have it", async () => {
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("hello-world"));
    const old = (await (await armFetch(emulator, groupPath("job-1"))).json()) as { properties: Record<string, unknown> };
    const latest = (await (await armFetch(emulator, groupPath("job-1"), { apiVersion: "2026-05-01" })).json()) as { properties: Record<string, unknown> };
    expect(old.properties["isCreatedFromStandbyPool"]).toBeUndefined();
    expect(latest.properties["isCreatedFromStandbyPool"]).toBe(false);
    await deleteAndExpectNoGroups(["job-1"]);
  });
});

describe("conflicts and quotas", () => {
  it("answers 409 ContainerGroupTransitioning while a scripted operation is in flight", async () => {
    emulator.setBehaviour("busybox", { transitioningMs: 3_000 });
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("busybox"));
    const transitioning = { statusCode: 409, code: "ContainerGroupTransitioning", message: "The container group 'job-1' is still transitioning, please retry later." };
    await expect(client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("busybox", { command: ["sh", "-c", "echo x"] }))).rejects.toMatchObject(transitioning);
    await expect(client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "job-1")).rejects.toMatchObject(transitioning);
    await expect(client.containerGroups.beginRestart(RESOURCE_GROUP, "job-1")).rejects.toMatchObject(transitioning);
    clock.advanceBy(3_000);
    await deleteAndExpectNoGroups(["job-1"]);
  });

  const hundredNames = Array.from({ length: 100 }, (_, index) => `job-${index}`);
  const create = (name: string, location = LOCATION): Promise<unknown> =>
    noRetryClient.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, name, { ...jobGroup("hello-world"), location });
  const remove = (name: string): Promise<unknown> => noRetryClient.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name);

  it("enforces 100 groups per region with 400 ContainerGroupQuotaReached, and 100 deletes per 5 minutes with 429", async () => {
    await Promise.all(hundredNames.slice(0, 60).map((name) => create(name)));
    clock.advanceBy(6 * 60_000); // the first 60 creates leave the 5-minute create window
    await Promise.all(hundredNames.slice(60).map((name) => create(name)));

    await expect(create("job-100")).rejects.toMatchObject({
      statusCode: 400,
      code: "ContainerGroupQuotaReached",
      message: `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'ContainerGroups' exceeded in region '${LOCATION}'. Limit: '100', Usage: '100' Requested: '1'.`,
    });
    await create("job-100", "westeurope"); // quotas are per region
    await remove("job-100");

    for (const name of hundredNames) await remove(name);
    await create("job-100");
    const throttled = await remove("job-100").catch((error: unknown) => error);
    expect(throttled).toMatchObject({ statusCode: 429, code: "TooManyRequests" });
    expect(Number((throttled as { response?: { headers: { get(name: string): string | undefined } } }).response?.headers.get("retry-after"))).toBeGreaterThan(0);

    clock.advanceBy(5 * 60_000);
    await remove("job-100");
    expect(emulator.listGroups()).toEqual([]);
  });

  it("throttles the 101st create within 5 minutes with 429 and Retry-After", async () => {
    await Promise.all(hundredNames.map((name) => create(name)));
    const throttled = await create("job-100", "eastus").catch((error: unknown) => error);
    expect(throttled).toMatchObject({ statusCode: 429, code: "TooManyRequests" });
    expect((throttled as { response?: { headers: { get(name: string): string | undefined } } }).response?.headers.get("retry-after")).toBe("300");
    for (const name of hundredNames) await remove(name);
    expect(emulator.listGroups()).toEqual([]);
  });
});
