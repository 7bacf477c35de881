/**
 * The app's ARM client on a DELETE that ACI only accepts (202 with Azure-AsyncOperation, the spec's other
 * answer): it confirms with GET, never polls the operation (outside the app's role), and gives up after
 * its deadline with a transient failure that says the DELETE may have worked.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRoleAssignment, startAciEmulator, type AciEmulator } from "../../dev/aci-emulator";
import { AciClient } from "../../src/aci/client";
import { jobGroup, RESOURCE_GROUP, SUBSCRIPTION_ID } from "./sdkClient";

describe("AciClient.delete when ACI answers 202", () => {
  let emulator: AciEmulator;
  const client = (deleteConfirmTimeoutMs: number) =>
    new AciClient({
      subscriptionId: SUBSCRIPTION_ID,
      resourceGroup: RESOURCE_GROUP,
      endpoint: emulator.url,
      audience: "https://management.azure.com",
      credential: new DefaultAzureCredential(),
      lroPollIntervalMs: 20,
      deleteConfirmTimeoutMs,
    });

  beforeAll(async () => {
    emulator = await startAciEmulator({
      asyncDeleteMs: 300,
      provisioning: { conflictsWhileProvisioning: false },
      roleAssignment: appRoleAssignment(RESOURCE_GROUP),
    });
    process.env["IDENTITY_ENDPOINT"] = emulator.identityEndpoint;
    process.env["IDENTITY_HEADER"] = emulator.identityHeader;
    process.env["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential";
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("reads the group until it is gone, and polls no operation", async () => {
    const aci = client(10_000);
    await aci.create("g-202", jobGroup("hello-world"));
    await expect(aci.delete("g-202")).resolves.toBe("deleted");
    expect(emulator.listGroups()).toEqual([]);
    const deletes = emulator.requests.filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.status)).toEqual([202]);
    expect(emulator.requests.filter((r) => r.status === 403 || /\/operations\//u.test(r.path))).toEqual([]);
    expect(emulator.requests.filter((r) => r.method === "GET").length).toBeGreaterThan(1);
  });

  it("stops waiting at its deadline with a transient failure that may have deleted the group", async () => {
    const aci = client(100);
    await aci.create("g-slow", jobGroup("hello-world"));
    const failure = await aci.delete("g-slow").catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "DeleteNotConfirmed", transient: true, mayHaveBeenCarriedOut: true });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(emulator.listGroups()).toEqual([]);
  });
});
