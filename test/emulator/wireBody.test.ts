/**
 * Every container field of a job definition, through `toContainerGroup` and the production `AciClient`
 * (the real SDK and DefaultAzureCredential), into the emulator: the JSON ACI receives, field by field, and
 * no secret value in anything ACI sends back. Fields ACI does not allow in that one group (a Public IP with
 * its defaults and DNS label, Spot priority) have jobs of their own below.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { AciClient } from "../../src/aci/client";
import { OWNERSHIP_TAGS, toContainerGroup } from "../../src/aci/containerGroup";
import { parseJobDefinition } from "../../src/jobs/definition";
import { keyVaultSecret, secretKey } from "../../src/jobs/secretReference";
import { secretReferencesOf } from "../../src/jobs/container";
import { armFetch, groupPath, RESOURCE_GROUP, SUBSCRIPTION_ID, useEmulator } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T06:00:00.000Z"));
let emulator: AciEmulator;

const PULLER = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/puller";
const SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/jobs-vnet/subnets/aci";
const WORKSPACE_ID = "5b7c2f0e-1d2a-4c3b-9e8f-0a1b2c3d4e5f";
const TLS_VERSION = "0123456789abcdef0123456789abcdef";

/** What Key Vault would return for each reference; every value is distinctive so a leak is easy to find. */
const SECRET_VALUES: Readonly<Record<string, string>> = {
  "api-token": "secret-api-token-7f3a",
  "ghcr-token": "secret-ghcr-pat-91b2",
  "storage-key": "c2VjcmV0LXN0b3JhZ2Uta2V5LTQ0Yzk=",
  [`tls-key/${TLS_VERSION}`]: "-----BEGIN PRIVATE KEY-----secret-tls-5d1e",
  "la-key": "secret-workspace-key-2a8c",
};

useEmulator(
  clock,
  (started) => {
    emulator = started;
  },
  {
    registries: [
      { server: "contoso.azurecr.io", identities: [PULLER] },
      { server: "ghcr.io", logins: [{ username: "contoso-bot", password: SECRET_VALUES["ghcr-token"]! }] },
    ],
    storageAccounts: [{ name: "contosoreports", key: SECRET_VALUES["storage-key"]!, shares: ["reports"] }],
    gpuQuota: { V100: 4 }, // GPU SKUs are retired (§10); a subscription that kept GPU quota can still use them
  },
);

const parsed = parseJobDefinition(
  {
    id: "every_field",
    maxActiveRuns: 1,
    container: {
      groupName: "every-field",
      region: "westeurope",
      image: "contoso.azurecr.io/reports/nightly:2.1",
      cpu: 2,
      memoryInGB: 8,
      command: ["python", "-m", "reports", "--all"],
      gpu: { count: 1, sku: "V100" },
      environment: { MODE: "nightly", API_TOKEN: keyVaultSecret("api-token") },
      registryCredentials: [
        { server: "contoso.azurecr.io", identity: PULLER },
        { server: "ghcr.io", username: "contoso-bot", password: keyVaultSecret("ghcr-token") },
      ],
      volumes: [
        { name: "reports", azureFile: { shareName: "reports", storageAccountName: "contosoreports", storageAccountKey: keyVaultSecret("storage-key") } },
        { name: "scratch", emptyDir: {} },
        { name: "certs", secret: { "tls.key": keyVaultSecret("tls-key", TLS_VERSION) } },
        { name: "source", gitRepo: { repository: "https://github.com/contoso/reports.git", directory: "reports", revision: "v2.1" } },
      ],
      volumeMounts: [
        { name: "reports", mountPath: "/mnt/reports" },
        { name: "scratch", mountPath: "/scratch" },
        { name: "certs", mountPath: "/etc/certs", readOnly: true },
        { name: "source", mountPath: "/src" },
      ],
      tags: { team: "data", costCenter: "42" },
      osType: "Linux",
      restartPolicy: "OnFailure",
      ipAddress: { type: "Private", ports: [{ port: 8080 }, { port: 9090, protocol: "UDP" }] },
      ports: [{ port: 8080 }],
      subnetIds: [{ id: SUBNET, name: "aci" }],
      dnsConfig: { nameServers: ["10.0.0.4", "10.0.0.5"], searchDomains: "contoso.internal", options: "ndots:2" },
      diagnostics: { logAnalytics: { workspaceId: WORKSPACE_ID, workspaceKey: keyVaultSecret("la-key"), logType: "ContainerInstanceLogs", metadata: { job: "every_field" } } },
      priority: "Regular",
      identity: { type: "SystemAssigned, UserAssigned", userAssignedIdentities: [PULLER] },
      failIfExists: true,
    },
  },
  "wireBody.test.ts",
);
if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
const container = parsed.job.container;
// What the create activity does before mapping: resolve every reference the definition makes.
const secrets = new Map(secretReferencesOf(container).map((reference) => [secretKey(reference), SECRET_VALUES[secretKey(reference)]!]));

function aciClient(): AciClient {
  return new AciClient({
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
    endpoint: emulator.url,
    audience: "https://management.azure.com",
    credential: new DefaultAzureCredential(), // IDENTITY_ENDPOINT and IDENTITY_HEADER point at the emulator (sdkClient.ts)
    retry: { retryDelayInMs: 50, maxRetryDelayInMs: 200 },
  });
}

describe("a job using every container field, on the wire", () => {
  it("resolves every kind of secret the definition references", () => {
    expect([...secrets.keys()].sort()).toEqual(Object.keys(SECRET_VALUES).sort());
  });

  it("sends ACI exactly the fields of the definition, secrets as their values, through the real SDK", async () => {
    const owner = { jobId: "every_field", runId: "run-1", attempt: 1 };
    const client = aciClient();
    emulator.setBehaviour("contoso.azurecr.io/reports/nightly:2.1", { runMs: 60_000, logs: ["report written"] });
    const created = await client.create("every-field", toContainerGroup({ groupName: "every-field", region: "westeurope", container, owner, secrets }));
    expect(created).toMatchObject({ createdNew: true });

    const put = emulator.requests.find((request) => request.method === "PUT");
    expect(put).toMatchObject({ path: groupPath("every-field"), status: 201 });
    const body = put?.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["identity", "location", "properties", "tags"]);
    expect(body["location"]).toBe("westeurope");
    expect(body["tags"]).toEqual({ team: "data", costCenter: "42", [OWNERSHIP_TAGS.job]: "every_field", [OWNERSHIP_TAGS.runId]: "run-1", [OWNERSHIP_TAGS.attempt]: "1" });
    expect(body["identity"]).toEqual({ type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [PULLER]: {} } });

    const properties = body["properties"] as Record<string, unknown>;
    expect(Object.keys(properties).sort()).toEqual(
      ["containers", "diagnostics", "dnsConfig", "imageRegistryCredentials", "ipAddress", "osType", "priority", "restartPolicy", "subnetIds", "volumes"].sort(),
    );
    expect(properties["osType"]).toBe("Linux");
    expect(properties["restartPolicy"]).toBe("OnFailure");
    expect(properties["priority"]).toBe("Regular");
    expect(properties["containers"]).toEqual([
      {
        name: "every-field",
        properties: {
          image: "contoso.azurecr.io/reports/nightly:2.1",
          command: ["python", "-m", "reports", "--all"],
          ports: [{ port: 8080, protocol: "TCP" }],
          environmentVariables: [
            { name: "MODE", value: "nightly" },
            { name: "API_TOKEN", secureValue: SECRET_VALUES["api-token"] },
          ],
          resources: { requests: { cpu: 2, memoryInGB: 8, gpu: { count: 1, sku: "V100" } } },
          volumeMounts: [
            { name: "reports", mountPath: "/mnt/reports", readOnly: false },
            { name: "scratch", mountPath: "/scratch", readOnly: false },
            { name: "certs", mountPath: "/etc/certs", readOnly: true },
            { name: "source", mountPath: "/src", readOnly: false },
          ],
        },
      },
    ]);
    expect(properties["imageRegistryCredentials"]).toEqual([
      { server: "contoso.azurecr.io", identity: PULLER },
      { server: "ghcr.io", username: "contoso-bot", password: SECRET_VALUES["ghcr-token"] },
    ]);
    expect(properties["volumes"]).toEqual([
      { name: "reports", azureFile: { shareName: "reports", storageAccountName: "contosoreports", storageAccountKey: SECRET_VALUES["storage-key"], readOnly: false } },
      { name: "scratch", emptyDir: {} },
      // ACI wants secret volume files base64-encoded.
      { name: "certs", secret: { "tls.key": Buffer.from(SECRET_VALUES[`tls-key/${TLS_VERSION}`]!).toString("base64") } },
      { name: "source", gitRepo: { repository: "https://github.com/contoso/reports.git", directory: "reports", revision: "v2.1" } },
    ]);
    expect(properties["ipAddress"]).toEqual({ type: "Private", ports: [{ port: 8080, protocol: "TCP" }, { port: 9090, protocol: "UDP" }] });
    expect(properties["subnetIds"]).toEqual([{ id: SUBNET, name: "aci" }]);
    expect(properties["dnsConfig"]).toEqual({ nameServers: ["10.0.0.4", "10.0.0.5"], searchDomains: "contoso.internal", options: "ndots:2" });
    expect(properties["diagnostics"]).toEqual({
      logAnalytics: { workspaceId: WORKSPACE_ID, workspaceKey: SECRET_VALUES["la-key"], logType: "ContainerInstanceLogs", metadata: { job: "every_field" } },
    });

    // The group is valid for ACI: it provisions (the mount, registry logins and GPU quota all check out).
    clock.advanceBy(5_000);
    const group = await client.get("every-field");
    expect(group?.provisioningState).toBe("Succeeded");

    // Nothing ACI sends back carries a secret value: GET through the SDK, the raw GET, the list and the DELETE body.
    const raw = await (await armFetch(emulator, groupPath("every-field"))).text();
    const listed = await (await armFetch(emulator, `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerInstance/containerGroups`)).text();
    const deleted = await (await armFetch(emulator, groupPath("every-field"), { method: "DELETE" })).text();
    const base64Secrets = Object.values(SECRET_VALUES).map((value) => Buffer.from(value).toString("base64"));
    for (const text of [JSON.stringify(group), raw, listed, deleted]) {
      for (const value of [...Object.values(SECRET_VALUES), ...base64Secrets]) expect(text).not.toContain(value);
    }
    // …while the non-secret parts of the same fields are still there.
    expect(group?.imageRegistryCredentials).toEqual([{ server: "contoso.azurecr.io", identity: PULLER }, { server: "ghcr.io", username: "contoso-bot" }]);
    expect(group?.volumes?.find((volume) => volume.name === "certs")?.secret).toEqual({});
    expect(group?.diagnostics?.logAnalytics).toEqual({ workspaceId: WORKSPACE_ID, logType: "ContainerInstanceLogs", metadata: { job: "every_field" } });
    expect(group?.containers[0]?.environmentVariables).toEqual([{ name: "MODE", value: "nightly" }, { name: "API_TOKEN" }]);
    expect(emulator.listGroups()).toEqual([]);
  });
});

/**
 * A job definition parsed as the app parses it, with the values its Key Vault references resolve to (what
 * the create activity hands the mapping).
 */
function parsedJob(definition: unknown, values: Readonly<Record<string, string>>) {
  const result = parseJobDefinition(definition, "wireBody.test.ts");
  if (!result.ok) throw new Error(result.problems.join("\n"));
  const spec = result.job.container;
  return { container: spec, secrets: new Map(secretReferencesOf(spec).map((reference) => [secretKey(reference), values[secretKey(reference)]!])) };
}

const WORKSPACE_RESOURCE_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/monitoring/providers/Microsoft.OperationalInsights/workspaces/jobs-logs";
const PUBLIC_SECRETS: Readonly<Record<string, string>> = { "la-key-public": "secret-workspace-key-public-6d0f" };

// Spot groups may have no IP address (SpotPriorityContainerGroupNotSupportedForInboundConnectivity), so a
// public endpoint and Spot priority cannot share a group: they are two jobs here.
describe("a job with a public endpoint (Airflow's port-80 default, a DNS name label) and Log Analytics by resource id, on the wire", () => {
  it("sends port 80 on the container and on the IP, the label and its reuse scope, and the workspace resource id", async () => {
    const { container, secrets } = parsedJob(
      {
        id: "public_report",
        container: {
          region: "westus",
          image: "nginx:1.27",
          ipAddress: { type: "Public", dnsNameLabel: "contoso-reports", autoGeneratedDomainNameLabelScope: "TenantReuse" },
          diagnostics: { logAnalytics: { workspaceId: WORKSPACE_ID, workspaceKey: keyVaultSecret("la-key-public"), workspaceResourceId: WORKSPACE_RESOURCE_ID } },
        },
      },
      PUBLIC_SECRETS,
    );
    const owner = { jobId: "public_report", runId: "run-2", attempt: 1 };
    const client = aciClient();
    emulator.setBehaviour("nginx:1.27", { runMs: 60_000 });
    await client.create("public-report", toContainerGroup({ groupName: "public-report", region: "westus", container, owner, secrets }));

    const put = emulator.requests.find((request) => request.method === "PUT");
    expect(put).toMatchObject({ path: groupPath("public-report"), status: 201 });
    const body = put?.body as { location: string; properties: Record<string, unknown> & { containers: { properties: Record<string, unknown> }[] } };
    expect(body.location).toBe("westus");
    const { properties } = body;
    expect(Object.keys(properties).sort()).toEqual(["containers", "diagnostics", "ipAddress", "osType", "priority", "restartPolicy"]);
    expect(properties["priority"]).toBe("Regular");
    // Airflow's default: an IP address without ports opens port 80, on the container and on the IP alike.
    expect(properties.containers[0]?.properties["ports"]).toEqual([{ port: 80, protocol: "TCP" }]);
    expect(properties["ipAddress"]).toEqual({
      type: "Public",
      ports: [{ port: 80, protocol: "TCP" }],
      dnsNameLabel: "contoso-reports",
      autoGeneratedDomainNameLabelScope: "TenantReuse",
    });
    expect(properties["diagnostics"]).toEqual({
      logAnalytics: { workspaceId: WORKSPACE_ID, workspaceKey: PUBLIC_SECRETS["la-key-public"], workspaceResourceId: WORKSPACE_RESOURCE_ID },
    });

    // ACI accepts it and answers with the address, the FQDN the label makes, and neither workspace secret.
    clock.advanceBy(5_000);
    const group = await client.get("public-report");
    expect(group?.provisioningState).toBe("Succeeded");
    expect(group?.ipAddress).toMatchObject({
      type: "Public",
      ports: [{ port: 80, protocol: "TCP" }],
      dnsNameLabel: "contoso-reports",
      autoGeneratedDomainNameLabelScope: "TenantReuse",
      fqdn: "contoso-reports.westus.azurecontainer.io",
      ip: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/u),
    });
    expect(group?.diagnostics?.logAnalytics).toEqual({ workspaceId: WORKSPACE_ID });
    await client.delete("public-report");
  });
});

describe("a Spot job in a Spot region, on the wire", () => {
  it("sends priority Spot to East US 2, with no IP address, and ACI runs it as Spot", async () => {
    const { container, secrets } = parsedJob({ id: "spot_report", container: { region: "eastus2", image: "nginx:1.27", cpu: 2, memoryInGB: 4, priority: "Spot" } }, {});
    const client = aciClient();
    emulator.setBehaviour("nginx:1.27", { runMs: 60_000 });
    await client.create("spot-report", toContainerGroup({ groupName: "spot-report", region: "eastus2", container, owner: { jobId: "spot_report", runId: "run-3", attempt: 1 }, secrets }));

    const put = emulator.requests.find((request) => request.method === "PUT");
    expect(put).toMatchObject({ path: groupPath("spot-report"), status: 201 });
    const body = put?.body as { location: string; properties: Record<string, unknown> & { containers: { properties: Record<string, unknown> }[] } };
    expect(body.location).toBe("eastus2");
    expect(Object.keys(body.properties).sort()).toEqual(["containers", "osType", "priority", "restartPolicy"]);
    expect(body.properties["priority"]).toBe("Spot");
    expect(body.properties.containers[0]?.properties["resources"]).toEqual({ requests: { cpu: 2, memoryInGB: 4 } });
    expect(body.properties.containers[0]?.properties).not.toHaveProperty("ports");

    clock.advanceBy(5_000);
    const group = await client.get("spot-report");
    expect(group).toMatchObject({ location: "eastus2", priority: "Spot", provisioningState: "Succeeded" });
    await client.delete("spot-report");
  });
});
