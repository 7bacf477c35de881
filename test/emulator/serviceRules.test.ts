/**
 * The rules ACI applies beyond the schema, as the emulator reproduces them: regions, GPU, Spot, private
 * registries and their credentials, identities, Azure Files mounts and volume contents. Each test names
 * the code ACI (or ARM) answers with; where no source gives the code the emulator's choice is asserted.
 */
import type { ContainerGroup, ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { armFetch, groupPath, jobGroup, LOCATION, RESOURCE_GROUP, useEmulator } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T05:00:00.000Z"));
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;

const PULLER = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/puller";
const STRANGER = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/stranger";
const SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/jobs";

useEmulator(
  clock,
  (started, sdk) => {
    emulator = started;
    client = sdk;
  },
  {
    registries: [{ server: "private.azurecr.io", logins: [{ username: "puller", password: "right-password" }], identities: [PULLER] }],
    storageAccounts: [{ name: "contosodata", key: "right-key==", shares: ["reports"] }],
  },
);

const SPOT_REGION = "westeurope";
const spotGroup = (overrides: Partial<ContainerGroup> = {}): ContainerGroup => ({ ...jobGroup("busybox"), location: SPOT_REGION, priority: "Spot", ...overrides });
const withRequests = (group: ContainerGroup, requests: ContainerGroup["containers"][number]["resources"]["requests"]): ContainerGroup => ({
  ...group,
  containers: [{ ...group.containers[0]!, resources: { requests } }],
});

function put(name: string, group: ContainerGroup): Promise<unknown> {
  return client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, name, group);
}

async function expectRejected(group: ContainerGroup, error: { code: string; message?: string | RegExp }, status = 400): Promise<void> {
  const message = error.message instanceof RegExp ? expect.stringMatching(error.message) : error.message;
  await expect(put("job-1", group)).rejects.toMatchObject({ statusCode: status, code: error.code, ...(message !== undefined && { message }) });
  expect(emulator.listGroups()).toEqual([]);
}

async function removeAll(...names: string[]): Promise<void> {
  for (const name of names) await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name);
}

describe("regions", () => {
  it("refuses a region without ACI with ARM's 400 LocationNotAvailableForResourceType, listing ACI's regions", async () => {
    await expectRejected(
      { ...jobGroup("hello-world"), location: "Atlantis Central" },
      {
        code: "LocationNotAvailableForResourceType",
        message: /^The provided location 'Atlantis Central' is not available for resource type 'Microsoft\.ContainerInstance\/containerGroups'\. List of available regions for the resource type is '[a-z0-9,]*\beastus\b[a-z0-9,]*\bwesteurope\b[a-z0-9,]*'\.$/u,
      },
    );
  });

  it("accepts a display name of a region with ACI, as ARM normalises it", async () => {
    await put("job-1", { ...jobGroup("hello-world"), location: "West Europe" });
    expect(emulator.listGroups()[0]?.location).toBe("westeurope");
    await removeAll("job-1");
  });
});

describe("GPU (SKUs retired on 14 July 2025, aci-rest-api.md §10)", () => {
  const gpuGroup = (gpu: { count: number; sku: string }, osType: "Linux" | "Windows" = "Linux"): ContainerGroup =>
    ({ ...withRequests(jobGroup("busybox"), { cpu: 1, memoryInGB: 1.5, gpu } as never), osType });

  it("refuses an unknown SKU as the schema does (InvalidRequestContent) and a count ACI never offered (emulator's InvalidGpuCount)", async () => {
    await expectRejected(gpuGroup({ count: 1, sku: "A100" }), { code: "InvalidRequestContent", message: /'K80', 'P100', 'V100'. Path 'properties\.containers\[0\]\.properties\.resources\.requests\.gpu\.sku'/u });
    await expectRejected(gpuGroup({ count: 3, sku: "V100" }), { code: "InvalidGpuCount" });
  });

  it("refuses GPUs on Windows (the emulator's GpuNotSupportedForOsType)", async () => {
    await expectRejected(gpuGroup({ count: 1, sku: "V100" }, "Windows"), { code: "GpuNotSupportedForOsType" });
  });

  it("answers a valid GPU request with ContainerGroupQuotaReached on the SKU's quota, whose limit is 0", async () => {
    await expectRejected(gpuGroup({ count: 2, sku: "P100" }), {
      code: "ContainerGroupQuotaReached",
      message: `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'P100Cores' exceeded in region '${LOCATION}'. Limit: '0', Usage: '0' Requested: '2'.`,
    });
  });
});

describe("Spot (Microsoft's 'Error codes for Spot container creation')", () => {
  it("refuses inbound connectivity: an IP address or a subnet", async () => {
    const inbound = { code: "SpotPriorityContainerGroupNotSupportedForInboundConnectivity", message: "Spot Priority is not supported for container groups with inbound connectivity." };
    await expectRejected(spotGroup({ ipAddress: { type: "Public", ports: [{ port: 80 }] } }), inbound);
    await expectRejected(spotGroup({ subnetIds: [{ id: SUBNET }] }), inbound);
  });

  it("refuses a SKU other than Standard", async () => {
    await expectRejected(spotGroup({ sku: "Confidential" }), { code: "SpotPriorityContainerGroupNotSupportedInSku", message: "Spot Priority Container Group is not supported in 'Confidential' Sku." });
  });

  it("refuses GPU resources", async () => {
    await expectRejected(withRequests(spotGroup(), { cpu: 1, memoryInGB: 1.5, gpu: { count: 1, sku: "V100" } }), {
      code: "SpotPriorityContainerGroupWithGPUResourcesNotSupported",
      message: "Spot Priority Container Groups that include containers requesting GPU resources are not supported.",
    });
  });

  it("refuses a priority other than Regular or Spot with PriorityNotSpecified", async () => {
    await expectRejected({ ...jobGroup("busybox"), priority: "Low" }, { code: "PriorityNotSpecified", message: "The 'Priority' must be one of 'Regular,Spot' for container group 'job-1'." });
  });

  it("runs only in East US 2, West Europe and West US (the emulator's SpotPriorityContainerGroupNotSupportedInLocation)", async () => {
    await expectRejected(spotGroup({ location: "eastus" }), { code: "SpotPriorityContainerGroupNotSupportedInLocation", message: /'eastus'.*'eastus2,westeurope,westus'/u });
    await put("job-1", spotGroup({ location: "westus" }));
    await put("job-2", spotGroup({ location: "eastus2" }));
    await removeAll("job-1", "job-2");
  });

  it("limits a Spot group to 4 vCPU and 16 GB", async () => {
    await expectRejected(withRequests(spotGroup(), { cpu: 5, memoryInGB: 8 }), { code: "ResourceRequestsExceedLimit", message: /maximum allowed for a Spot container group: '4' CPU and '16' GB/u });
    await expectRejected(withRequests(spotGroup(), { cpu: 2, memoryInGB: 17 }), { code: "ResourceRequestsExceedLimit" });
  });

  it("counts Spot cores against StandardSpotCores (default 10), apart from StandardCores", async () => {
    const fourCores = withRequests(spotGroup(), { cpu: 4, memoryInGB: 8 });
    await put("spot-1", fourCores);
    await put("spot-2", fourCores);
    await expectRejectedWith("spot-3", fourCores, {
      code: "ContainerGroupQuotaReached",
      message: `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardSpotCores' exceeded in region '${SPOT_REGION}'. Limit: '10', Usage: '8' Requested: '4'.`,
    });
    await put("regular-1", { ...withRequests(jobGroup("busybox"), { cpu: 4, memoryInGB: 8 }), location: SPOT_REGION });
    const usages = [];
    for await (const usage of client.location.listUsage(SPOT_REGION)) usages.push(usage);
    expect(usages).toContainEqual(expect.objectContaining({ name: { value: "StandardSpotCores", localizedValue: "Standard Spot Cores" }, currentValue: 8, limit: 10 }));
    expect(usages).toContainEqual(expect.objectContaining({ name: { value: "StandardCores", localizedValue: "Standard Cores" }, currentValue: 4, limit: 100 }));
    await removeAll("spot-1", "spot-2", "regular-1");
  });

  async function expectRejectedWith(name: string, group: ContainerGroup, error: { code: string; message: string }): Promise<void> {
    await expect(put(name, group)).rejects.toMatchObject({ statusCode: 400, ...error });
  }
});

describe("Spot eviction and Spot capacity (scripted)", () => {
  it("an evicted Spot group stops its container and cycles Unhealthy ↔ Repairing with a SpotEvicted event", async () => {
    emulator.setBehaviour("busybox", { spotEviction: { afterMs: 30_000 } });
    await put("job-1", spotGroup({ containers: [{ ...jobGroup("busybox").containers[0]!, command: ["sh", "-c", "echo working; sleep 600"] }] }));
    clock.advanceBy(5_000 + 10_000);
    const running = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    expect(running.provisioningState).toBe("Succeeded");
    expect(running.containers[0]?.instanceView?.currentState?.state).toBe("Running");

    clock.advanceBy(20_000);
    const evicted = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    expect(evicted.provisioningState).toBe("Unhealthy");
    expect(evicted.instanceView?.events).toEqual([
      expect.objectContaining({ name: "SpotEvicted", type: "Warning", message: "The Spot container group 'job-1' was evicted because Azure needed the capacity back." }),
    ]);
    expect(evicted.containers[0]?.instanceView).toMatchObject({ restartCount: 0, currentState: { state: "Waiting", detailStatus: "" } });
    expect((await client.containers.listLogs(RESOURCE_GROUP, "job-1", "job")).content).toBe("working\n");

    clock.advanceBy(60_000);
    expect((await client.containerGroups.get(RESOURCE_GROUP, "job-1")).provisioningState).toBe("Repairing");
    clock.advanceBy(60_000);
    expect((await client.containerGroups.get(RESOURCE_GROUP, "job-1")).provisioningState).toBe("Unhealthy");
    await removeAll("job-1");
  });

  it("eviction applies to Spot groups only, and not to a container that finished first", async () => {
    emulator.setBehaviour("busybox", { spotEviction: { afterMs: 30_000 } });
    await put("regular", { ...jobGroup("busybox", { command: ["sh", "-c", "sleep 600"] }), location: SPOT_REGION });
    await put("quick", spotGroup({ containers: [{ ...jobGroup("busybox").containers[0]!, command: ["sh", "-c", "sleep 10"] }] }));
    clock.advanceBy(5_000 + 60_000);
    const regular = await client.containerGroups.get(RESOURCE_GROUP, "regular");
    expect(regular.provisioningState).toBe("Succeeded");
    expect(regular.containers[0]?.instanceView?.currentState?.state).toBe("Running");
    const quick = await client.containerGroups.get(RESOURCE_GROUP, "quick");
    expect(quick.provisioningState).toBe("Succeeded");
    expect(quick.containers[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 0 });
    await removeAll("regular", "quick");
  });

  it("no Spot capacity: a Spot create fails after Pending with the emulator's SkuNotAvailable; a Regular one runs", async () => {
    emulator.setBehaviour("busybox", { spotCapacityUnavailable: true });
    const poller = await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "spot", spotGroup());
    clock.advanceBy(2_000);
    await expect(poller.pollUntilDone()).rejects.toThrow(
      `The long-running operation has failed. SkuNotAvailable. The requested resource with '1' CPU and '1.5' GB memory is not available in the location '${SPOT_REGION}' at this moment. Please retry with a different resource request or in another location.`,
    );
    const failed = await client.containerGroups.get(RESOURCE_GROUP, "spot");
    expect(failed.provisioningState).toBe("Failed");
    expect(failed.instanceView?.events).toContainEqual(expect.objectContaining({ name: "SkuNotAvailable", type: "Warning" }));

    await put("regular", { ...jobGroup("busybox", { command: ["sh", "-c", "echo ok"] }), location: SPOT_REGION });
    clock.advanceBy(10_000);
    expect((await client.containerGroups.get(RESOURCE_GROUP, "regular")).containers[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 0 });
    await removeAll("spot", "regular");
  });
});

describe("private registries (aci-rest-api.md §8 InaccessibleImage)", () => {
  const inaccessible = (image: string) => ({
    code: "InaccessibleImage",
    message: `The image '${image}' in container group 'job-1' is not accessible. Please check the image and registry credential.`,
  });
  const privateImage = "private.azurecr.io/job:1";
  const withIdentity = (group: ContainerGroup, ...ids: string[]): ContainerGroup => ({
    ...group,
    identity: { type: "UserAssigned", userAssignedIdentities: Object.fromEntries(ids.map((id) => [id, {}])) },
  });

  it("refuses an image from a private registry without a credential for it, even a scripted one", async () => {
    emulator.setBehaviour(privateImage, { runMs: 1_000 });
    await expectRejected(jobGroup(privateImage), inaccessible(privateImage));
    await expectRejected({ ...jobGroup(privateImage), imageRegistryCredentials: [{ server: "other.azurecr.io", username: "u", password: "p" }] }, inaccessible(privateImage));
    emulator.setBehaviour("undeclared.example.com/job:1", { runMs: 1_000 });
    await expectRejected({ ...jobGroup("undeclared.example.com/job:1") }, { code: "InaccessibleImage" });
  });

  it("refuses a wrong password and pulls with the right one", async () => {
    emulator.setBehaviour(privateImage, { runMs: 1_000 });
    const login = (password: string): ContainerGroup => ({ ...jobGroup(privateImage), imageRegistryCredentials: [{ server: "private.azurecr.io", username: "puller", password }] });
    await expectRejected(login("wrong-password"), inaccessible(privateImage));
    await put("job-1", login("right-password"));
    await removeAll("job-1");
  });

  it("pulls with a user-assigned identity the registry accepts, and refuses one it does not", async () => {
    emulator.setBehaviour(privateImage, { runMs: 1_000 });
    const pullAs = (id: string): ContainerGroup => withIdentity({ ...jobGroup(privateImage), imageRegistryCredentials: [{ server: "private.azurecr.io", identity: id }] }, id);
    await expectRejected(pullAs(STRANGER), inaccessible(privateImage));
    await put("job-1", pullAs(PULLER));
    await removeAll("job-1");
  });

  it("refuses a pull identity that is not one of the group's identities with InvalidImageRegistryIdentity", async () => {
    const group = withIdentity({ ...jobGroup("hello-world"), imageRegistryCredentials: [{ server: "private.azurecr.io", identity: PULLER }] }, STRANGER);
    await expectRejected(group, { code: "InvalidImageRegistryIdentity", message: /'.*\/puller'.*'private\.azurecr\.io'.*'job-1'/u });
  });

  it("takes any credential for an undeclared registry, and none for mcr.microsoft.com or one declared with anonymous pull", async () => {
    emulator.setBehaviour("undeclared.example.com/job:1", { runMs: 1_000 });
    await put("job-1", { ...jobGroup("undeclared.example.com/job:1"), imageRegistryCredentials: [{ server: "undeclared.example.com", username: "u", password: "p" }] });
    emulator.addRegistry({ server: "open.azurecr.io", anonymousPull: true });
    emulator.setBehaviour("open.azurecr.io/job:1", { runMs: 1_000 });
    await put("job-2", jobGroup("open.azurecr.io/job:1"));
    emulator.setBehaviour("mcr.microsoft.com/azuredocs/aci-helloworld:v1", { runMs: 1_000 });
    await put("job-3", jobGroup("mcr.microsoft.com/azuredocs/aci-helloworld:v1")); // public, like Docker Hub
    await removeAll("job-1", "job-2", "job-3");
  });
});

describe("virtual networks", () => {
  it("refuses a subnet id that is not a subnet, and a public endpoint in a virtual network (the emulator's codes)", async () => {
    await expectRejected({ ...jobGroup("busybox"), subnetIds: [{ id: "jobs" }] }, { code: "InvalidSubnetId", message: /is not the resource id of a subnet/u });
    await expectRejected({ ...jobGroup("busybox"), subnetIds: [{ id: SUBNET }], ipAddress: { type: "Public", ports: [{ port: 80 }] } }, {
      code: "PublicIPAddressNotSupportedInVirtualNetwork",
      message: /does not support a public IP address or a DNS name label/u,
    });
  });

  it("accepts a Private IP in a subnet", async () => {
    const group: ContainerGroup = { ...jobGroup("busybox"), subnetIds: [{ id: SUBNET }], ipAddress: { type: "Private", ports: [{ port: 80 }] } };
    await put("in-vnet", { ...group, containers: [{ ...group.containers[0]!, ports: [{ port: 80 }] }] });
    await removeAll("in-vnet");
  });
});

describe("identities in responses (aci-rest-api.md §5)", () => {
  it("fills principalId and tenantId for the system identity, principalId and clientId per user-assigned identity, and keeps them on update", async () => {
    const group: ContainerGroup = { ...jobGroup("hello-world"), identity: { type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [PULLER]: {} } } };
    await put("job-1", group);
    const read = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    const uuid = expect.stringMatching(/^[0-9a-f-]{36}$/u);
    expect(read.identity).toEqual({ type: "SystemAssigned, UserAssigned", principalId: uuid, tenantId: uuid, userAssignedIdentities: { [PULLER]: { principalId: uuid, clientId: uuid } } });
    await put("job-1", { ...group, tags: { again: "yes" } });
    expect((await client.containerGroups.get(RESOURCE_GROUP, "job-1")).identity).toEqual(read.identity);
    await removeAll("job-1");
  });
});

describe("volumes", () => {
  const mounting = (azureFile: { shareName: string; storageAccountName: string; storageAccountKey: string }): ContainerGroup => ({
    ...jobGroup("busybox", { command: ["sh", "-c", "echo mounted"] }),
    volumes: [{ name: "reports", azureFile }],
    containers: [{ ...jobGroup("busybox", { command: ["sh", "-c", "echo mounted"] }).containers[0]!, volumeMounts: [{ name: "reports", mountPath: "/mnt/reports" }] }],
  });

  it.each([
    ["a wrong account key", { shareName: "reports", storageAccountName: "contosodata", storageAccountKey: "wrong-key==" }, "Output: mount error(2): Permission denied"],
    ["a missing share", { shareName: "nothing", storageAccountName: "contosodata", storageAccountKey: "right-key==" }, "Output: mount error(2): No such file or directory"],
  ])("an Azure Files volume with %s provisions to Failed with a FailedMount event, as in ContainerGroupsGet_Failed.json", async (_title, azureFile, message) => {
    const poller = await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", mounting(azureFile));
    clock.advanceBy(5_000);
    await expect(poller.pollUntilDone()).rejects.toThrow(`The long-running operation has failed. FailedMount. ${message}`);
    const failed = await client.containerGroups.get(RESOURCE_GROUP, "job-1");
    expect(failed.provisioningState).toBe("Failed");
    expect(failed.instanceView).toEqual({ state: "Pending", events: [expect.objectContaining({ name: "FailedMount", type: "Normal", count: 1, message })] });
    expect(failed.containers[0]?.instanceView?.currentState).toMatchObject({ state: "Waiting", detailStatus: "" });
    expect(failed.containers[0]?.instanceView?.events?.map((event) => event.name)).toEqual(["Pulling", "Pulled"]);
    expect(failed.volumes?.[0]?.azureFile).toEqual({ shareName: azureFile.shareName, storageAccountName: "contosodata" });
    await removeAll("job-1");
  });

  it("mounts a declared share with the right key, and an undeclared account without checks", async () => {
    await put("job-1", mounting({ shareName: "reports", storageAccountName: "contosodata", storageAccountKey: "right-key==" }));
    await put("job-2", mounting({ shareName: "any", storageAccountName: "elsewhere", storageAccountKey: "whatever" }));
    clock.advanceBy(10_000);
    for (const name of ["job-1", "job-2"]) {
      expect((await client.containerGroups.get(RESOURCE_GROUP, name)).containers[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 0 });
    }
    await removeAll("job-1", "job-2");
  });

  it("refuses secret volume contents that are not base64 (the emulator's InvalidSecretVolumeValue)", async () => {
    await expectRejected({ ...jobGroup("busybox"), volumes: [{ name: "certs", secret: { "tls.key": "not base64!" } }] }, {
      code: "InvalidSecretVolumeValue",
      message: "The value of secret file 'tls.key' in volume 'certs' must be a base64-encoded string.",
    });
    await put("job-1", { ...jobGroup("busybox"), volumes: [{ name: "certs", secret: { "tls.key": Buffer.from("key").toString("base64") } }] });
    await removeAll("job-1");
  });

  it("requires gitRepo.repository, and logAnalytics.workspaceId and workspaceKey (§5)", async () => {
    const raw = async (properties: Record<string, unknown>): Promise<unknown> => {
      const { containers, osType } = jobGroup("busybox");
      const body = { location: LOCATION, properties: { osType, containers: containers.map(({ name, ...rest }) => ({ name, properties: rest })), ...properties } };
      const response = await armFetch(emulator, groupPath("job-1"), { method: "PUT", body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      return response.json();
    };
    expect(await raw({ volumes: [{ name: "source", gitRepo: { directory: "." } }] })).toMatchObject({ error: { code: "InvalidRequestContent", message: expect.stringContaining("Required property 'repository'") } });
    expect(await raw({ diagnostics: { logAnalytics: { workspaceKey: "k" } } })).toMatchObject({ error: { message: expect.stringContaining("Required property 'workspaceId'") } });
    expect(await raw({ diagnostics: { logAnalytics: { workspaceId: "w" } } })).toMatchObject({ error: { message: expect.stringContaining("Required property 'workspaceKey'") } });
    expect(emulator.listGroups()).toEqual([]);
  });
});
