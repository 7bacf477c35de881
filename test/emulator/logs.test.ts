import type { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { jobGroup, RESOURCE_GROUP, useEmulator, ANONYMOUS_TEST_REGISTRY } from "./sdkClient";

const START = Date.parse("2026-11-28T05:00:00.000Z");
const clock = new VirtualClock(START);
let emulator: AciEmulator;
let client: ContainerInstanceManagementClient;
/** Default provisioning: the container starts 5 s after the PUT. */
const STARTS_AFTER_MS = 5_000;

useEmulator(clock, (started, sdk) => {
  emulator = started;
  client = sdk;
}, { registries: [ANONYMOUS_TEST_REGISTRY] });

async function run(name: string, image: string, command?: string[]): Promise<number> {
  await client.containerGroups.beginCreateOrUpdate(RESOURCE_GROUP, name, jobGroup(image, command ? { command } : {}));
  return clock.now() + STARTS_AFTER_MS;
}

async function logs(name: string, options: { tail?: number; timestamps?: boolean } = {}): Promise<string | undefined> {
  return (await client.containers.listLogs(RESOURCE_GROUP, name, "job", options)).content;
}

async function deleteAndExpectNoGroups(name: string): Promise<void> {
  await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, name);
  expect(emulator.listGroups()).toEqual([]);
}

describe("listLogs", () => {
  it("hello-world prints Docker's greeting and exits 0 after about a second", async () => {
    const startedAt = await run("hello", "hello-world");
    await expect(logs("hello")).rejects.toMatchObject({ statusCode: 400, code: "ContainerLogNotAvailable" });
    clock.advanceTo(startedAt);
    expect(await logs("hello")).toBe(
      [
        "",
        "Hello from Docker!",
        "This message shows that your installation appears to be working correctly.",
        "",
        "To generate this message, Docker took the following steps:",
        " 1. The Docker client contacted the Docker daemon.",
        ' 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.',
        "    (amd64)",
        " 3. The Docker daemon created a new container from that image which runs the",
        "    executable that produces the output you are currently reading.",
        " 4. The Docker daemon streamed that output to the Docker client, which sent it",
        "    to your terminal.",
        "",
        "To try something more ambitious, you can run an Ubuntu container with:",
        " $ docker run -it ubuntu bash",
        "",
        "Share images, automate workflows, and more with a free Docker ID:",
        " https://hub.docker.com/",
        "",
        "For more examples and ideas, visit:",
        " https://docs.docker.com/get-started/",
        "",
        "",
      ].join("\n"),
    );
    clock.advanceBy(1_000);
    const group = await client.containerGroups.get(RESOURCE_GROUP, "hello");
    expect(group.containers[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 0, detailStatus: "Completed" });
    await deleteAndExpectNoGroups("hello");
  });

  it("the shell images run echo, sleep, exit and ; && || with lines timed by sleep", async () => {
    const startedAt = await run("shell", "ubuntu:24.04", ["/bin/sh", "-c", "echo 'one two'; false && echo skipped; sleep 2 && echo \"three\"; nope || echo recovered; sleep 1; exit 3"]);
    clock.advanceTo(startedAt + 1_000);
    expect(await logs("shell")).toBe("one two\n");
    clock.advanceTo(startedAt + 2_000);
    expect(await logs("shell")).toBe("one two\nthree\nsh: nope: not found\nrecovered\n");
    expect(await logs("shell", { tail: 1 })).toBe("recovered\n");
    expect(await logs("shell", { tail: 2, timestamps: true })).toBe(
      `${new Date(startedAt + 2_000).toISOString().replace("Z", "001000Z")} sh: nope: not found\n${new Date(startedAt + 2_000).toISOString().replace("Z", "002000Z")} recovered\n`,
    );
    clock.advanceTo(startedAt + 3_000);
    const group = await client.containerGroups.get(RESOURCE_GROUP, "shell");
    expect(group.containers[0]?.instanceView?.currentState).toMatchObject({ state: "Terminated", exitCode: 3, detailStatus: "Error", finishTime: new Date(startedAt + 3_000) });
    expect(await logs("shell")).toBe("one two\nthree\nsh: nope: not found\nrecovered\n"); // readable after Terminated
    await deleteAndExpectNoGroups("shell");
  });

  it("timestamps are RFC 3339 with nanoseconds and only lines whose time has come are shown", async () => {
    emulator.setBehaviour("contoso.azurecr.io/report:2", {
      logs: [
        { at: 0, line: "starting" },
        { at: 1_500, line: "halfway" },
        { at: 60_000, line: "finished" },
      ],
    });
    const startedAt = await run("timed", "contoso.azurecr.io/report:2");
    clock.advanceTo(startedAt + 1_500);
    const content = await logs("timed", { timestamps: true });
    expect(content?.split("\n")).toEqual([
      `${new Date(startedAt).toISOString().slice(0, 19)}.000000000Z starting`,
      `${new Date(startedAt + 1_500).toISOString().slice(0, 19)}.500000000Z halfway`,
      "",
    ]);
    expect(content).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z starting\n/u);
    clock.advanceTo(startedAt + 60_000);
    expect(await logs("timed")).toBe("starting\nhalfway\nfinished\n");
    expect((await client.containerGroups.get(RESOURCE_GROUP, "timed")).containers[0]?.instanceView?.currentState?.state).toBe("Terminated");
    await deleteAndExpectNoGroups("timed");
  });

  it("keeps the last 16 KB / 1,000 lines once the container has stopped", async () => {
    const lines = Array.from({ length: 3_000 }, (_, index) => `line ${String(index).padStart(6, "0")} ${"x".repeat(8)}`); // 21 bytes with \n
    emulator.setBehaviour("contoso.azurecr.io/chatty:1", { logs: lines.map((line, index) => ({ at: index, line })), runMs: 10_000 });
    const startedAt = await run("chatty", "contoso.azurecr.io/chatty:1");
    clock.advanceTo(startedAt + 5_000);
    expect(await logs("chatty")).toBe(lines.map((line) => `${line}\n`).join("")); // 63 KB: under the 4 MB running cap

    clock.advanceTo(startedAt + 10_000);
    const stopped = (await logs("chatty")) ?? "";
    expect(Buffer.byteLength(stopped)).toBeLessThanOrEqual(16 * 1024);
    expect(stopped.endsWith(`${lines.at(-1)}\n`)).toBe(true);
    const kept = stopped.split("\n").slice(0, -1);
    expect(kept).toEqual(lines.slice(-kept.length));
    expect(kept.length).toBe(Math.floor((16 * 1024) / 21));

    emulator.setBehaviour("contoso.azurecr.io/terse:1", { logs: Array.from({ length: 1_500 }, (_, index) => String(index)), runMs: 1 });
    const terseStart = await run("terse", "contoso.azurecr.io/terse:1");
    clock.advanceTo(terseStart + 1);
    const terse = ((await logs("terse")) ?? "").split("\n").slice(0, -1);
    expect(terse).toHaveLength(1_000);
    expect(terse[0]).toBe("500");
    expect(await logs("terse", { tail: 3 })).toBe("1497\n1498\n1499\n");

    await client.containerGroups.beginDeleteAndWait(RESOURCE_GROUP, "terse");
    await deleteAndExpectNoGroups("chatty");
  });

  it("caps logs at 4 MB while the container runs, keeping the newest lines", async () => {
    const line = "y".repeat(1_023); // 1 KB with \n
    emulator.setBehaviour("contoso.azurecr.io/firehose:1", { logs: Array.from({ length: 5_000 }, (_, index) => `${String(index).padStart(5, "0")}${line.slice(5)}`), runMs: 60_000 });
    const startedAt = await run("firehose", "contoso.azurecr.io/firehose:1");
    clock.advanceTo(startedAt + 1);
    const content = (await logs("firehose")) ?? "";
    expect(Buffer.byteLength(content)).toBe(4 * 1024 * 1024);
    expect(content.startsWith("00904")).toBe(true);
    expect(content.endsWith(`04999${line.slice(5)}\n`)).toBe(true);
    await deleteAndExpectNoGroups("firehose");
  });

  it("reports a container that is not in the group", async () => {
    await run("nobody", "hello-world");
    await expect(client.containers.listLogs(RESOURCE_GROUP, "nobody", "other")).rejects.toMatchObject({ statusCode: 404, code: "ContainerNotFound" });
    await expect(client.containers.listLogs(RESOURCE_GROUP, "missing", "job")).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
    await deleteAndExpectNoGroups("nobody");
  });
});
