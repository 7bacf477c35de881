import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost } from "../../dev/durable-host";

describe("DurableHost: custom status", () => {
  // The extension serialises the custom status with a 16 KB limit on its UTF-16 JSON and fails the
  // orchestration when it is larger (MessagePayloadDataConverter.Serialize(status, 16)).
  it("fails an orchestration whose custom status exceeds 16 KB of UTF-16 JSON, as the extension does", async () => {
    const host = new DurableHost({ clock: new VirtualClock(Date.parse("2025-01-01T00:00:00Z")) });
    host.registerActivity("noop", async () => null);
    host.registerOrchestrator("chatty", function* (context) {
      context.df.setCustomStatus({ notes: "x".repeat(9_000) });
      yield context.df.callActivity("noop");
      return "done";
    });
    const id = await host.client.startNew("chatty");
    const status = await host.waitForCompletion(id);
    expect(String(status.runtimeStatus)).toBe("Failed");
    expect(String(status.output)).toMatch(/must not exceed 16 KB\. The current payload size is 17 KB\./u);
  });

  it("accepts a custom status just under the limit", async () => {
    const host = new DurableHost({ clock: new VirtualClock(Date.parse("2025-01-01T00:00:00Z")) });
    host.registerOrchestrator("terse", function* (context) {
      context.df.setCustomStatus({ notes: "x".repeat(8_000) });
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 1_000));
      return "done";
    });
    const id = await host.client.startNew("terse");
    expect(String((await host.waitForCompletion(id)).runtimeStatus)).toBe("Completed");
  });
});
