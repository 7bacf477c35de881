/**
 * The emulator applies Azure RBAC as ARM does when given a role assignment: a request outside the role's
 * actions, or outside the resource groups it is assigned on, is answered 403 AuthorizationFailed before the
 * resource provider sees it. The app's role is read from infra/app/jobs-role.bicep.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAciEmulator, type AciEmulator } from "../../dev/aci-emulator";
import { actionOf, appRoleActions, appRoleAssignment } from "../../dev/aci-emulator/roleAssignment";
import { armFetch } from "./sdkClient";

const SUB = "00000000-0000-0000-0000-000000000000";
const GROUPS = `/subscriptions/${SUB}/resourceGroups/rg-jobs/providers/Microsoft.ContainerInstance/containerGroups`;

describe("the RBAC action of each ACI request", () => {
  it("names the operation ARM checks", () => {
    expect(actionOf("GET", GROUPS)).toBe("Microsoft.ContainerInstance/containerGroups/read");
    expect(actionOf("GET", `${GROUPS}/g`)).toBe("Microsoft.ContainerInstance/containerGroups/read");
    expect(actionOf("PUT", `${GROUPS}/g`)).toBe("Microsoft.ContainerInstance/containerGroups/write");
    expect(actionOf("PATCH", `${GROUPS}/g`)).toBe("Microsoft.ContainerInstance/containerGroups/write");
    expect(actionOf("DELETE", `${GROUPS}/g`)).toBe("Microsoft.ContainerInstance/containerGroups/delete");
    expect(actionOf("GET", `${GROUPS}/g/containers/c/logs`)).toBe("Microsoft.ContainerInstance/containerGroups/containers/logs/read");
    expect(actionOf("POST", `${GROUPS}/g/restart`)).toBe("Microsoft.ContainerInstance/containerGroups/restart/action");
    expect(actionOf("POST", `${GROUPS}/g/containers/c/exec`)).toBe("Microsoft.ContainerInstance/containerGroups/containers/exec/action");
    expect(actionOf("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerInstance/locations/eastus/operations/op1`)).toBe("Microsoft.ContainerInstance/locations/operations/read");
  });

  it("reads the app's role from the template Azure deploys", () => {
    expect(appRoleActions().sort()).toEqual([
      "Microsoft.ContainerInstance/containerGroups/containers/logs/read",
      "Microsoft.ContainerInstance/containerGroups/delete",
      "Microsoft.ContainerInstance/containerGroups/read",
      "Microsoft.ContainerInstance/containerGroups/write",
    ]);
  });
});

describe("an emulator enforcing the app's role on rg-jobs", () => {
  let emulator: AciEmulator;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await armFetch(emulator, path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.text()) || "{}" };
  };
  const group = {
    location: "eastus",
    properties: { osType: "Linux", restartPolicy: "Never", containers: [{ name: "c", properties: { image: "hello-world", resources: { requests: { cpu: 1, memoryInGB: 1 } } } }] },
  };

  beforeAll(async () => {
    emulator = await startAciEmulator({ resourceGroups: ["rg-jobs", "rg-other"], roleAssignment: appRoleAssignment("rg-jobs"), provisioning: { conflictsWhileProvisioning: false } });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("allows the app's calls on its resource group", async () => {
    expect((await call("PUT", `${GROUPS}/g1`, group)).status).toBe(201);
    expect((await call("GET", `${GROUPS}/g1`)).status).toBe(200);
    expect((await call("GET", GROUPS)).status).toBe(200);
    expect((await call("DELETE", `${GROUPS}/g1`)).status).toBe(200);
  });

  it("refuses what the role does not grant, with ARM's AuthorizationFailed", async () => {
    expect((await call("PUT", `${GROUPS}/g2`, group)).status).toBe(201);
    const poll = await call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerInstance/locations/eastus/operations/any`);
    expect(poll.status).toBe(403);
    expect(JSON.parse(poll.body)).toMatchObject({
      error: {
        code: "AuthorizationFailed",
        message: expect.stringMatching(/does not have authorization to perform action 'Microsoft\.ContainerInstance\/locations\/operations\/read' over scope '\/subscriptions\/[^']+\/providers\/Microsoft\.ContainerInstance\/locations\/eastus\/operations\/any' or the scope is invalid/u),
      },
    });
    expect((await call("POST", `${GROUPS}/g2/restart`)).status).toBe(403);
    expect((await call("POST", `${GROUPS}/g2/containers/c/exec`, { command: "sh" })).status).toBe(403);
    expect((await call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerInstance/containerGroups`)).status).toBe(403);
  });

  it("refuses the same actions on a resource group the role is not assigned on", async () => {
    const other = GROUPS.replace("rg-jobs", "rg-other");
    expect((await call("PUT", `${other}/g3`, group)).status).toBe(403);
    expect((await call("GET", other)).status).toBe(403);
  });
});
