import type { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { armFetch, groupPath, jobGroup, RESOURCE_GROUP, useEmulator } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T06:00:00.000Z"));
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;

useEmulator(clock, (started, sdk) => {
  emulator = started;
  client = sdk;
});

async function deleteAndExpectNoGroups(name: string): Promise<void> {
  await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name);
  expect(emulator.listGroups()).toEqual([]);
}

describe("fault injection", () => {
  it("a 429 with Retry-After: 1 is retried transparently by the SDK", async () => {
    emulator.injectFault({ method: "PUT", path: /containerGroups\/throttled$/u, fault: { status: 429, retryAfterSeconds: 1 } });
    const poller = await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "throttled", jobGroup("hello-world"));
    expect(poller.getOperationState().status).toBe("running");
    expect(emulator.requests.map(({ method, status }) => `${method} ${status}`)).toEqual(["PUT 429", "PUT 201", "GET 200"]);
    await deleteAndExpectNoGroups("throttled");
  });

  it("a reset connection and a 503 are retried by the SDK", async () => {
    emulator.injectFault({ method: "GET", path: "/containerGroups/flaky", fault: { kind: "reset" } });
    emulator.injectFault({ method: "GET", path: "/containerGroups/flaky", times: 2, fault: { status: 503 } });
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "flaky", jobGroup("hello-world"));
    const group = await client.containerGroups.get(RESOURCE_GROUP, "flaky");
    expect(group.name).toBe("flaky");
    expect(emulator.requests.filter(({ method }) => method === "GET").map(({ path, status }) => `${path.split("/").at(-2)} ${status}`)).toEqual([
      "operations 200",
      "containerGroups 0",
      "containerGroups 503",
      "containerGroups 503",
      "containerGroups 200",
    ]);
    await deleteAndExpectNoGroups("flaky");
  });

  it("a 500 with a scripted error reaches the caller once retries are spent", async () => {
    emulator.injectFault({ path: "/containerGroups/broken", times: 10, fault: { status: 500, code: "InternalServerError", message: "Something broke." } });
    await expect(client.containerGroups.get(RESOURCE_GROUP, "broken")).rejects.toMatchObject({ statusCode: 500, code: "InternalServerError", message: "Something broke." });
    expect(emulator.requests).toHaveLength(4); // the first try and the SDK's three retries
    expect(emulator.listGroups()).toEqual([]);
  });
});

describe("secrets", () => {
  it("are accepted but never echoed", async () => {
    const secrets = ["s3cr3t-env", "registry-pass", "storage-key", "c2VjcmV0LWZpbGU=", "workspace-key"];
    const group = jobGroup("hello-world");
    const responseBodies: string[] = [];
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "secretive", {
      ...group,
      containers: [
        {
          ...group.containers[0]!,
          environmentVariables: [
            { name: "PLAIN", value: "visible" },
            { name: "TOKEN", secureValue: "s3cr3t-env" },
          ],
          volumeMounts: [
            { name: "share", mountPath: "/mnt/share" },
            { name: "creds", mountPath: "/mnt/creds", readOnly: true },
          ],
        },
      ],
      imageRegistryCredentials: [{ server: "contoso.azurecr.io", username: "contoso", password: "registry-pass" }],
      volumes: [
        { name: "share", azureFile: { shareName: "jobs", storageAccountName: "contosojobs", storageAccountKey: "storage-key" } },
        { name: "creds", secret: { "token.txt": "c2VjcmV0LWZpbGU=" } },
      ],
      diagnostics: { logAnalytics: { workspaceId: "workspace-id", workspaceKey: "workspace-key" } },
    }, { onResponse: (response) => responseBodies.push(response.bodyAsText ?? "") });
    const putBody = responseBodies[0] ?? "";
    expect(putBody).toContain('"provisioningState":"Pending"');
    const wire = await (await armFetch(emulator, groupPath("secretive"))).text();
    for (const secret of secrets) {
      expect(wire).not.toContain(secret);
      expect(putBody).not.toContain(secret);
    }
    const read = await client.containerGroups.get(RESOURCE_GROUP, "secretive");
    expect(read.containers[0]?.environmentVariables).toEqual([{ name: "PLAIN", value: "visible" }, { name: "TOKEN" }]);
    expect(read.imageRegistryCredentials).toEqual([{ server: "contoso.azurecr.io", username: "contoso" }]);
    expect(read.volumes).toEqual([
      { name: "share", azureFile: { shareName: "jobs", storageAccountName: "contosojobs" } },
      { name: "creds", secret: {} },
    ]);
    expect(read.diagnostics?.logAnalytics).toEqual({ workspaceId: "workspace-id" });
    await deleteAndExpectNoGroups("secretive");
  });
});
