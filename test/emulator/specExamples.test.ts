/**
 * The official example bodies (test/emulator/fixtures, copied from the REST API specs): the emulator accepts
 * each example's request and answers with the example's response shape. Where a response differs, the
 * difference is listed key by key (`+` only the emulator sends it, `-` only the example has it, `~` the value
 * differs), each with the reason. Timestamps and IP addresses are compared by format, not value.
 *
 * Where an example cannot be replayed as it is, the test makes the smallest change and says why.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { armFetch, groupPath, RESOURCE_GROUP, SUBSCRIPTION_ID, useEmulator } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T07:00:00.000Z"));
let emulator: AciEmulator;
useEmulator(clock, (started) => {
  emulator = started;
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Example {
  parameters: { "api-version": string; containerGroupName: string; containerGroup: { location: string; properties: Record<string, unknown> } };
  responses: Record<"200" | "201", { body: { id: string; location: string; properties: Record<string, unknown> } }>;
}

function fixture<T = Example>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, "fixtures", `${name}.json`), "utf8")) as T;
}

const createPriority = fixture("ContainerGroupsCreatePriority");

describe("ContainerGroupsCreatePriority.json (a Spot group)", () => {
  const { containerGroupName: name, containerGroup: request } = createPriority.parameters;
  const apiVersion = createPriority.parameters["api-version"];
  const put = (location: string) => armFetch(emulator, groupPath(name), { method: "PUT", apiVersion, body: JSON.stringify({ ...request, location }) });
  const expected = (status: "200" | "201", state: string) => {
    const body = createPriority.responses[status].body;
    return {
      ...body,
      id: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerInstance/containerGroups/${name}`,
      location: "westus",
      properties: { ...body.properties, provisioningState: state, instanceView: { events: [], state } },
    };
  };

  it("refuses the example's own region, East US: Spot runs only in East US 2, West Europe and West US (aci-rest-api.md §10)", async () => {
    const response = await put(request.location);
    expect(request.location).toBe("eastus");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "SpotPriorityContainerGroupNotSupportedInLocation" } });
    expect(emulator.listGroups()).toEqual([]);
  });

  it("accepts the example's request in West US and answers with the example's 201, then its 200 once the job finished", async () => {
    const created = await put("westus");
    expect(created.status).toBe(201);
    // The example's 201 says "Created"; the real service and the emulator say Pending (aci-rest-api.md §6).
    expect(await created.json()).toEqual(expected("201", "Pending"));

    clock.advanceBy(5_000 + 10_000); // provisioning, then `sleep 10`
    const again = await put("westus");
    expect(again.status).toBe(200);
    const body = (await again.json()) as { properties: { containers: { properties: Record<string, unknown> }[] } };
    // A GET-like body carries the container's instance view, which the example leaves out.
    expect(body.properties.containers[0]?.properties["instanceView"]).toMatchObject({ currentState: { state: "Terminated", exitCode: 0, detailStatus: "Completed" } });
    delete body.properties.containers[0]?.properties["instanceView"];
    expect(body).toEqual(expected("200", "Succeeded"));

    expect((await armFetch(emulator, groupPath(name), { method: "DELETE", apiVersion })).status).toBe(200);
  });
});

/**
 * Where `actual` and `expected` differ, as sorted paths: `+path` only in `actual`, `-path` only in `expected`,
 * `~path` a different value. Timestamps and IPv4 addresses compare by format.
 */
function differences(actual: Json | undefined, expected: Json | undefined, path = ""): string[] {
  const at = (key: string | number) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  if (isObject(actual) && isObject(expected)) {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])];
    return keys
      .flatMap((key) => (!(key in expected) ? [`+${at(key)}`] : !(key in actual) ? [`-${at(key)}`] : differences(actual[key], expected[key], at(key))))
      .sort();
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return Array.from({ length: Math.max(actual.length, expected.length) }, (_, index) =>
      index >= expected.length ? [`+${at(index)}`] : index >= actual.length ? [`-${at(index)}`] : differences(actual[index], expected[index], at(index)),
    )
      .flat()
      .sort();
  }
  return JSON.stringify(byFormat(actual)) === JSON.stringify(byFormat(expected)) ? [] : [`~${path}`];
}

function byFormat(value: Json | undefined): Json | undefined {
  if (typeof value !== "string") return value;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/u.test(value)) return "<timestamp>";
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/u.test(value)) return "<IPv4 address>";
  return value;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The example's body with the placeholder subscription `subid` replaced by the emulator's subscription. */
function withOurSubscription<T extends { id: string }>(body: T): T {
  return { ...body, id: body.id.replace("/subscriptions/subid/", `/subscriptions/${SUBSCRIPTION_ID}/`) };
}

/** A container group body of an example response. */
type ExampleGroup = JsonObject & { id: string; location: string; properties: JsonObject };

interface GetExample {
  parameters: { "api-version": string; containerGroupName: string; resourceGroupName: string };
  responses: { "200": { body: ExampleGroup } };
}

const getSucceeded = fixture<GetExample>("ContainerGroupsGet_Succeeded");
const getFailed = fixture<GetExample>("ContainerGroupsGet_Failed");
const deleteExample = fixture<GetExample & { responses: { "202": unknown; "204": unknown } }>("ContainerGroupsDelete");
const listLogs = fixture<{ parameters: { "api-version": string; containerGroupName: string; resourceGroupName: string; containerName: string; tail: number }; responses: { "200": { body: JsonObject } } }>(
  "ContainerListLogs",
);

const REGISTRY_PASSWORD = "registry-password-4b1d";
const STORAGE_ACCOUNT_KEY = "c3RvcmFnZS1hY2NvdW50LWtleQ==";

/**
 * The PUT that would produce a Get example's group: its spec without read-only state (instance views,
 * provisioningState, the assigned IP), and the secrets a response never shows put back (the registry
 * password and the storage account key). The examples' group: nginx in West US with an Azure Files share.
 */
function requestBehind(example: GetExample, storageAccountKey: string): JsonObject {
  const { location, zones, properties } = structuredClone(example.responses["200"].body);
  delete properties["provisioningState"];
  delete properties["instanceView"];
  for (const container of properties["containers"] as { properties: JsonObject }[]) delete container.properties["instanceView"];
  delete (properties["ipAddress"] as JsonObject)["ip"];
  for (const credential of properties["imageRegistryCredentials"] as JsonObject[]) credential["password"] = REGISTRY_PASSWORD;
  for (const volume of properties["volumes"] as { azureFile: JsonObject }[]) volume.azureFile["storageAccountKey"] = storageAccountKey;
  return { location, ...(zones !== undefined && { zones }), properties };
}

/** The nginx of the examples: a web server that keeps running. */
function scriptNginx(): void {
  emulator.setBehaviour("nginx", { runMs: Number.POSITIVE_INFINITY, logs: ["log content"] });
}

async function json(response: Response): Promise<JsonObject> {
  return (await response.json()) as JsonObject;
}

/**
 * The examples write the region "WestUs"; the emulator answers with the normalised name ARM uses, "westus",
 * as the examples of the same API version for other groups do ("eastus" in ContainerGroupsGetPriority.json).
 */
const NORMALISED_LOCATION = "~location";

/**
 * What a GET, PUT or DELETE body of the emulator carries beyond the Get and Delete examples, which leave these
 * out: the instance views of the group and its container (§3: these operations return them, as
 * ContainerGroupsGetPriority.json shows), and the defaults the service fills in (§5: `initContainers: []`,
 * `sku: "Standard"`, and from api-version 2025-09-01 on `isCreatedFromStandbyPool: false`, which
 * ContainerGroupsCreateOrUpdate.json shows).
 */
const INSTANCE_VIEWS = ["+properties.containers[0].properties.instanceView", "+properties.instanceView"];
const FILLED_DEFAULTS = ["+properties.initContainers", "+properties.isCreatedFromStandbyPool", "+properties.sku"];

describe("ContainerGroupsGet_Succeeded.json", () => {
  const { containerGroupName: name, resourceGroupName: resourceGroup } = getSucceeded.parameters;
  const apiVersion = getSucceeded.parameters["api-version"];

  it("answers a GET of the example's group with the example's body, its secrets left out", async () => {
    scriptNginx();
    const path = groupPath(name, resourceGroup);
    const created = await armFetch(emulator, path, { method: "PUT", apiVersion, body: JSON.stringify(requestBehind(getSucceeded, STORAGE_ACCOUNT_KEY)) });
    expect(created.status).toBe(201);
    clock.advanceBy(5_000); // Pending, Creating, then Succeeded with nginx running
    const response = await armFetch(emulator, path, { apiVersion });
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as JsonObject;

    expect(differences(body, withOurSubscription(getSucceeded.responses["200"].body))).toEqual([...INSTANCE_VIEWS, ...FILLED_DEFAULTS, NORMALISED_LOCATION].sort());
    expect(body).toMatchObject({
      location: "westus",
      properties: {
        provisioningState: "Succeeded",
        instanceView: { state: "Running" },
        containers: [{ properties: { instanceView: { restartCount: 0, currentState: { state: "Running" } } } }],
        initContainers: [],
        sku: "Standard",
        isCreatedFromStandbyPool: false,
      },
    });
    // No key of the example is missing, so the credential and the share are there without their secrets.
    for (const secret of [REGISTRY_PASSWORD, STORAGE_ACCOUNT_KEY]) expect(text).not.toContain(secret);

    expect((await armFetch(emulator, path, { method: "DELETE", apiVersion })).status).toBe(200);
  });
});

describe("ContainerGroupsGet_Failed.json", () => {
  const { containerGroupName: name, resourceGroupName: resourceGroup } = getFailed.parameters;
  const apiVersion = getFailed.parameters["api-version"];

  it("answers a GET of a group whose share would not mount (a wrong account key) with the example's failed state", async () => {
    scriptNginx();
    emulator.addStorageAccount({ name: "storage1", key: STORAGE_ACCOUNT_KEY, shares: ["share1"] });
    const path = groupPath(name, resourceGroup);
    const created = await armFetch(emulator, path, { method: "PUT", apiVersion, body: JSON.stringify(requestBehind(getFailed, "d3Jvbmcta2V5")) });
    expect(created.status).toBe(201);
    clock.advanceBy(5_000);
    const body = await json(await armFetch(emulator, path, { apiVersion }));

    // Instance views, states, events (names, types, counts, messages) and the timestamps' format all match.
    expect(differences(body, withOurSubscription(getFailed.responses["200"].body))).toEqual([...FILLED_DEFAULTS, NORMALISED_LOCATION].sort());
    expect(body).toMatchObject({
      properties: {
        provisioningState: "Failed",
        instanceView: { state: "Pending", events: [{ name: "FailedMount", type: "Normal", message: "Output: mount error(2): Permission denied" }] },
        containers: [{ properties: { instanceView: { restartCount: 0, currentState: { state: "Waiting", detailStatus: "" }, events: [{ name: "Pulling" }, { name: "Pulled" }] } } }],
      },
    });
    expect((await armFetch(emulator, path, { method: "DELETE", apiVersion })).status).toBe(200);
  });
});

describe("ContainerListLogs.json", () => {
  const { containerGroupName: name, resourceGroupName: resourceGroup, containerName, tail } = listLogs.parameters;
  const apiVersion = listLogs.parameters["api-version"];

  it("answers the example's log request (tail 10) with the example's body", async () => {
    scriptNginx(); // writes the line "log content"
    const path = groupPath(name, resourceGroup);
    const group = { location: "westus", properties: { osType: "Linux", containers: [{ name: containerName, properties: { image: "nginx", resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }] } };
    expect((await armFetch(emulator, path, { method: "PUT", apiVersion, body: JSON.stringify(group) })).status).toBe(201);
    clock.advanceBy(5_000);
    const response = await armFetch(emulator, `${path}/containers/${containerName}/logs?tail=${tail}`, { apiVersion });
    expect(response.status).toBe(200);
    const body = await json(response);

    // Same keys; the emulator ends each log line with a newline, the example's content is a bare placeholder.
    expect(differences(body, listLogs.responses["200"].body)).toEqual(["~content"]);
    expect(body).toEqual({ content: `${String(listLogs.responses["200"].body["content"])}\n` });
    expect((await armFetch(emulator, path, { method: "DELETE", apiVersion })).status).toBe(200);
  });
});

describe("ContainerGroupsDelete.json", () => {
  const { containerGroupName: name, resourceGroupName: resourceGroup } = deleteExample.parameters;
  const apiVersion = deleteExample.parameters["api-version"];

  it("deletes the example's group with the example's 200 body, and answers 204 with no body once it is gone", async () => {
    scriptNginx();
    const path = groupPath(name, resourceGroup);
    expect((await armFetch(emulator, path, { method: "PUT", apiVersion, body: JSON.stringify(requestBehind(deleteExample, STORAGE_ACCOUNT_KEY)) })).status).toBe(201);
    clock.advanceBy(5_000);

    // The example also allows 202 with Azure-AsyncOperation; the real service deletes synchronously and
    // answers 200 with the group (aci-rest-api.md §4.1), and so does the emulator.
    const deleted = await armFetch(emulator, path, { method: "DELETE", apiVersion });
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get("azure-asyncoperation")).toBeNull();
    const text = await deleted.text();
    expect(differences(JSON.parse(text) as JsonObject, withOurSubscription(deleteExample.responses["200"].body))).toEqual(
      [...INSTANCE_VIEWS, ...FILLED_DEFAULTS, NORMALISED_LOCATION].sort(),
    );
    for (const secret of [REGISTRY_PASSWORD, STORAGE_ACCOUNT_KEY]) expect(text).not.toContain(secret);

    const again = await armFetch(emulator, path, { method: "DELETE", apiVersion });
    expect(again.status).toBe(204);
    expect(await again.text()).toBe("");
  });
});

const createOrUpdate = fixture<{
  parameters: { "api-version": string; containerGroupName: string; resourceGroupName: string; zones: Json; containerGroup: JsonObject & { properties: JsonObject } };
  responses: Record<"200" | "201", { body: ExampleGroup }>;
}>("ContainerGroupsCreateOrUpdate");

describe("ContainerGroupsCreateOrUpdate.json", () => {
  const { containerGroupName: name, resourceGroupName: resourceGroup, containerGroup: request, zones } = createOrUpdate.parameters;
  const apiVersion = createOrUpdate.parameters["api-version"];
  const path = groupPath(name, resourceGroup);
  const put = (group: JsonObject) => armFetch(emulator, path, { method: "PUT", apiVersion, body: JSON.stringify(group) });
  const withoutGpu = <T extends { properties: JsonObject }>(group: T): T => {
    const copy = structuredClone(group);
    for (const container of copy.properties["containers"] as { properties: { resources: { requests: JsonObject } } }[]) delete container.properties.resources.requests["gpu"];
    return copy;
  };

  it("refuses the example as it is: its subnet id is a template expression, and with a real one its K80 GPU is retired (aci-rest-api.md §10)", async () => {
    scriptNginx();
    const asWritten = await put(request);
    expect(asWritten.status).toBe(400);
    expect(await asWritten.json()).toMatchObject({ error: { code: "InvalidSubnetId" } });
    // Without the subnet (which the next test explains), the GPU is what ACI refuses.
    const withoutSubnet = structuredClone(request);
    delete withoutSubnet.properties["subnetIds"];
    const response = await put(withoutSubnet);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "ContainerGroupQuotaReached", message: expect.stringContaining("'K80Cores'") } });
    expect(emulator.listGroups()).toEqual([]);
  });

  it("accepts the example's request with three stated changes and answers with the example's 201, then its 200", async () => {
    scriptNginx();
    // 1. The example lists `zones` beside the group, among the operation's parameters; ARM reads it from the
    //    body, where the example's responses show it. 2. No GPU: K80 is retired (the test above), so neither
    //    the request nor the expected responses have one. 3. No `subnetIds`: the example's id is an ARM template
    //    expression ("[resourceId(...)]"), not a subnet, and a group in a virtual network cannot have a Public IP
    //    or a DNS name label (learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts).
    const replayed = withoutGpu({ ...request, zones });
    delete replayed.properties["subnetIds"];
    const secrets = ["accountKey", "workspaceKey", "SecretValue1InBase64", "SecretValue2InBase64", String((request.properties["diagnostics"] as { logAnalytics: JsonObject }).logAnalytics["workspaceResourceId"])];

    const created = await put(replayed);
    expect(created.status).toBe(201);
    const createdText = await created.text();
    // Beyond the 200's differences below, the example's 201 leaves out diagnostics and two dnsConfig fields that
    // the same request's 200 shows, and says Succeeded where the real service says Pending (aci-rest-api.md §6).
    expect(differences(JSON.parse(createdText) as JsonObject, withOurSubscription(withoutGpu(createOrUpdate.responses["201"].body)))).toEqual(
      [
        "+identity",
        "+properties.diagnostics",
        "+properties.dnsConfig.options",
        "+properties.dnsConfig.searchDomains",
        "+properties.initContainers",
        "+properties.instanceView",
        "+properties.sku",
        NORMALISED_LOCATION,
        "~properties.ipAddress.fqdn",
        "~properties.provisioningState",
      ].sort(),
    );
    expect(JSON.parse(createdText)).toMatchObject({ properties: { provisioningState: "Pending", instanceView: { state: "Pending" } } });

    clock.advanceBy(5_000);
    const updated = await put(replayed);
    expect(updated.status).toBe(200);
    const updatedText = await updated.text();
    const body = JSON.parse(updatedText) as JsonObject;
    expect(differences(body, withOurSubscription(withoutGpu(createOrUpdate.responses["200"].body)))).toEqual(
      [
        // The examples' responses leave out the identity; ARM returns it with the ids it assigned (§5).
        "+identity",
        // The example's 200 echoes only the workspace id; the emulator also echoes the log type and metadata,
        // which are not secrets (the spec marks only workspaceKey and workspaceResourceId x-ms-secret).
        "+properties.diagnostics.logAnalytics.logType",
        "+properties.diagnostics.logAnalytics.metadata",
        ...INSTANCE_VIEWS,
        "+properties.initContainers",
        "+properties.sku",
        NORMALISED_LOCATION,
        // The example's FQDN is a placeholder; ACI's is <label>.<region>.azurecontainer.io.
        "~properties.ipAddress.fqdn",
      ].sort(),
    );
    expect(body).toMatchObject({
      identity: { type: "SystemAssigned, UserAssigned", principalId: expect.any(String), tenantId: expect.any(String) },
      properties: { provisioningState: "Succeeded", ipAddress: { fqdn: "dnsnamelabel1.westus.azurecontainer.io" }, isCreatedFromStandbyPool: false },
    });
    // Secrets are accepted and never echoed: the account key, the workspace key and resource id, the secret files.
    for (const text of [createdText, updatedText]) for (const secret of secrets) expect(text).not.toContain(secret);

    expect((await armFetch(emulator, path, { method: "DELETE", apiVersion })).status).toBe(200);
  });
});
