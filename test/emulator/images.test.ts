/**
 * Images the emulator does not know (issue 10, item 8): the PUT still fails as ACI fails an image it
 * cannot pull (400 InaccessibleImage, so the app classes it as an image-pull failure), but the message
 * says why and how to try the image anyway; and `--image-behaviour`, the command-line form of a behaviour.
 */
import type { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { parseImageBehaviourOption } from "../../dev/aci-emulator/containerBehaviour";
import { jobGroup, RESOURCE_GROUP, useEmulator } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-12-01T03:00:00.000Z"));
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;

useEmulator(clock, (started, sdk) => {
  emulator = started;
  client = sdk;
});

describe("an image that is neither built in nor given a behaviour", () => {
  it("is refused with ACI's code and a message naming the built-in images and --image-behaviour", async () => {
    const rejection = await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("myorg/job:1")).catch((error: unknown) => error);
    expect(rejection).toMatchObject({ statusCode: 400, code: "InaccessibleImage" });
    const message = (rejection as Error).message;
    expect(message).toContain("'myorg/job:1'");
    expect(message).toContain("hello-world, busybox, alpine, ubuntu");
    expect(message).toContain("--image-behaviour 'myorg/job:1=exit:0,duration:30s,output:hello'");
    expect(message).not.toContain("registry credential");
    expect(emulator.listGroups()).toEqual([]);
  });

  it("keeps ACI's own message when the group has no credential for the image's registry", async () => {
    await expect(client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("private.example.com/job:1"))).rejects.toMatchObject({
      statusCode: 400,
      code: "InaccessibleImage",
      message: "The image 'private.example.com/job:1' in container group 'job-1' is not accessible. Please check the image and registry credential.",
    });
  });

  it("runs as its --image-behaviour says", async () => {
    const option = parseImageBehaviourOption("myorg/job:1=exit:3,duration:2m,output:hello, world\\nbye");
    if (typeof option === "string") throw new Error(option);
    emulator.setBehaviour(option.image, option.behaviour);
    await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, "job-1", jobGroup("myorg/job:1"));
    clock.advanceBy(5_000); // Pending, then Creating: the container starts and prints
    expect((await client.containers.listLogs(RESOURCE_GROUP, "job-1", "job")).content).toBe("hello, world\nbye\n");
    expect(emulator.listGroups()[0]!.containers[0]).toMatchObject({ state: "Running" });
    clock.advanceBy(2 * 60_000);
    expect(emulator.listGroups()[0]!.containers[0]).toMatchObject({ state: "Terminated", exitCode: 3 });
    await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "job-1");
  });
});

describe("--image-behaviour syntax", () => {
  it.each([
    ["myorg/job:1=exit:0,duration:30s,output:hello", { image: "myorg/job:1", behaviour: { exitCode: 0, runMs: 30_000, logs: ["hello"] } }],
    ["myorg/job:1", { image: "myorg/job:1", behaviour: {} }],
    ["myorg/job:1=", { image: "myorg/job:1", behaviour: {} }],
    ["contoso.azurecr.io/job@sha256:abc=duration:1m30s", { image: "contoso.azurecr.io/job@sha256:abc", behaviour: { runMs: 90_000 } }],
    ["job=duration:500ms, exit:7", { image: "job", behaviour: { runMs: 500, exitCode: 7 } }],
    ["job=output:a=1, b:2\\nsecond", { image: "job", behaviour: { logs: ["a=1, b:2", "second"] } }],
  ])("reads %s", (text, expected) => {
    expect(parseImageBehaviourOption(text)).toEqual(expected);
  });

  it.each([
    ["=exit:0", "it must start with an image name"],
    ["job=exit:256", "exit code '256' is not a number from 0 to 255"],
    ["job=exit:-1", "exit code '-1'"],
    ["job=duration:30", "duration '30' is not a duration"],
    ["job=duration:200h", "longer than a week"],
    ["job=exit", "'exit' needs a value, e.g. exit:3"],
    ["job=exit:0,exit:1", "'exit' is given twice"],
    ["job=code:0", "unknown field 'code' (the fields are exit, duration and output)"],
    ["job=constructor:0", "unknown field 'constructor'"],
  ])("refuses %s", (text, problem) => {
    const parsed = parseImageBehaviourOption(text);
    expect(typeof parsed).toBe("string");
    expect(parsed).toContain(problem);
    expect(parsed).toContain("expected <image>=exit:<code>,duration:<duration>,output:<text>");
  });
});
