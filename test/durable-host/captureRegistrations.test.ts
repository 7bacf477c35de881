import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { captureRegistrations, DurableHost, type CapturedFunction } from "../../dev/durable-host";

const run = promisify(execFile);

function triggerOf(fn: CapturedFunction | undefined): Record<string, unknown> | undefined {
  return Object.values(fn?.metadata.bindings ?? {}).find((binding) => binding.direction === "in" && binding.type.endsWith("Trigger"));
}

describe("captureRegistrations", () => {
  it("captures app.* and df.app.* registrations under vitest and drives the captured orchestration", async () => {
    const captured = await captureRegistrations(() => import("./fixtures/tinyApp.js"));
    const byName = new Map(captured.map((fn) => [fn.name, fn]));
    expect([...byName.keys()].sort()).toEqual(["ping", "shout", "shoutTwice", "startShout"]);
    expect(triggerOf(byName.get("shout"))).toMatchObject({ type: "activityTrigger", direction: "in" });
    expect(triggerOf(byName.get("shoutTwice"))).toMatchObject({ type: "orchestrationTrigger", direction: "in" });
    expect(triggerOf(byName.get("ping"))).toMatchObject({ type: "httpTrigger", methods: ["GET"], authLevel: "anonymous" });
    const starterBindings = Object.values(byName.get("startShout")?.metadata.bindings ?? {});
    expect(starterBindings.map((binding) => [binding.type, binding.direction]).sort()).toEqual([
      ["durableClient", "in"],
      ["http", "out"],
      ["httpTrigger", "in"],
    ]);

    const host = new DurableHost({ clock: new VirtualClock(Date.parse("2025-01-01T00:00:00Z")) });
    expect(host.registerCaptured(captured)).toEqual({ orchestrations: ["shoutTwice"], activities: ["shout"] });
    const id = await host.client.startNew("shoutTwice", { input: "hey" });
    expect((await host.waitForCompletion(id)).output).toBe("HEY!");
  });

  it("works under tsx as well", async () => {
    const script = join(__dirname, "fixtures", "captureUnderTsx.ts");
    const { stdout } = await run(process.execPath, ["--import", "tsx", script], { cwd: join(__dirname, "..", ".."), timeout: 60_000 });
    expect(JSON.parse(stdout.trim())).toEqual({
      names: ["shout", "shoutTwice", "startShout", "ping"],
      registered: { orchestrations: ["shoutTwice"], activities: ["shout"] },
      output: "TSX!",
    });
  });
});
