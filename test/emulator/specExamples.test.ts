/**
 * The official example bodies (test/emulator/fixtures, copied from the REST API specs): the emulator accepts
 * the example's request and answers with the example's response shape.
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

interface Example {
  parameters: { "api-version": string; containerGroupName: string; containerGroup: { location: string; properties: Record<string, unknown> } };
  responses: Record<"200" | "201", { body: { id: string; location: string; properties: Record<string, unknown> } }>;
}

const createPriority = JSON.parse(readFileSync(join(__dirname, "fixtures", "ContainerGroupsCreatePriority.json"), "utf8")) as Example;

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
