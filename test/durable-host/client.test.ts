import { HttpRequest } from "@azure/functions";
import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import { DurableHost, EventType } from "../../dev/durable-host";

const T0 = Date.parse("2025-01-01T00:00:00Z");

function hostWithWaiter(): DurableHost {
  const host = new DurableHost({ clock: new VirtualClock(T0), taskHub: "AciJobsHub", systemKey: "key123" });
  host.registerOrchestrator("waiter", function* (context) {
    return yield context.df.waitForExternalEvent("done");
  });
  host.registerOrchestrator("broken", function* () {
    throw new Error("boom");
  });
  return host;
}

describe("DurableHost client", () => {
  it("throws the library's HTTP 404 message for unknown instance ids", async () => {
    const host = hostWithWaiter();
    await expect(host.client.getStatus("missing")).rejects.toThrow(
      "DurableClient error: Durable Functions extension replied with HTTP 404 response. " +
        "This usually means we could not find any data associated with the instanceId provided: missing.",
    );
  });

  it("marks a throwing orchestrator Failed, with the extension's message as output", async () => {
    const host = hostWithWaiter();
    const id = await host.client.startNew("broken");
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe(df.OrchestrationRuntimeStatus.Failed);
    expect(status.output).toBe("Orchestrator function 'broken' failed: boom");
    expect(host.history(id).at(-2)).toMatchObject({
      EventType: EventType.ExecutionCompleted,
      EventId: 0,
      OrchestrationStatus: 3,
      Result: "Orchestrator function 'broken' failed: boom",
    });
  });

  it("terminates a running instance with an ExecutionTerminated event and the reason as output", async () => {
    const host = hostWithWaiter();
    const id = await host.client.startNew("waiter");
    await host.drain();
    await host.client.terminate(id, "no longer needed");
    const status = await host.waitForCompletion(id);
    expect(status.runtimeStatus).toBe(df.OrchestrationRuntimeStatus.Terminated);
    expect(status.output).toBe("no longer needed");
    expect(host.history(id).slice(-4).map((event) => event.EventType)).toEqual([
      EventType.OrchestratorStarted,
      EventType.ExecutionTerminated,
      EventType.ExecutionCompleted,
      EventType.OrchestratorCompleted,
    ]);
    expect(host.history(id).at(-3)).toMatchObject({ Input: "no longer needed" });
    await expect(host.client.terminate(id, "again")).resolves.toBeUndefined(); // 410: already finished
    await expect(host.client.terminate("missing", "x")).rejects.toThrow("No instance with ID 'missing' found.");
  });

  it("refuses to start an id that is still running and replaces a finished one", async () => {
    const host = hostWithWaiter();
    await host.client.startNew("waiter", { instanceId: "singleton" });
    await expect(host.client.startNew("waiter", { instanceId: "singleton" })).rejects.toThrow(/already exists/);
    await host.client.raiseEvent("singleton", "done", "first run");
    expect((await host.waitForCompletion("singleton")).output).toBe("first run");
    await host.client.startNew("waiter", { instanceId: "singleton", input: "second" });
    expect((await host.client.getStatus("singleton")).runtimeStatus).toBe("Pending");
  });

  it("lists, filters and purges instances", async () => {
    const host = hostWithWaiter();
    const running = await host.client.startNew("waiter");
    const failed = await host.client.startNew("broken");
    await host.drain();
    expect((await host.client.getStatusAll()).map((status) => status.instanceId).sort()).toEqual([running, failed].sort());
    const onlyFailed = await host.client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Failed] });
    expect(onlyFailed.map((status) => status.instanceId)).toEqual([failed]);
    expect(await host.client.getStatusBy({ createdTimeFrom: new Date(T0 + 1) })).toEqual([]);
    const withHistory = await host.client.getStatus(failed, { showHistory: true, showHistoryOutput: true });
    expect(withHistory.history?.map((event) => (event as { EventType: string }).EventType)).toEqual(["ExecutionStarted", "ExecutionCompleted"]);
    expect(await host.client.purgeInstanceHistory(failed)).toEqual({ instancesDeleted: 1 });
    await expect(host.client.getStatus(failed)).rejects.toThrow(/HTTP 404/);
  });

  it("creates check-status responses with the management URLs", async () => {
    const host = hostWithWaiter();
    const request = new HttpRequest({ url: "https://jobs.example.net/api/jobs", method: "POST" });
    const response = host.client.createCheckStatusResponse(request, "abc");
    expect(response.status).toBe(202);
    expect(response.headers.get("Retry-After")).toBe("10");
    const body = (await response.json()) as Record<string, string>;
    expect(response.headers.get("Location")).toBe(body.statusQueryGetUri);
    expect(body).toEqual({
      id: "abc",
      statusQueryGetUri: "https://jobs.example.net/runtime/webhooks/durabletask/instances/abc?taskHub=AciJobsHub&connection=Storage&code=key123",
      sendEventPostUri: "https://jobs.example.net/runtime/webhooks/durabletask/instances/abc/raiseEvent/{eventName}?taskHub=AciJobsHub&connection=Storage&code=key123",
      terminatePostUri: "https://jobs.example.net/runtime/webhooks/durabletask/instances/abc/terminate?reason={text}&taskHub=AciJobsHub&connection=Storage&code=key123",
      rewindPostUri: "https://jobs.example.net/runtime/webhooks/durabletask/instances/abc/rewind?reason={text}&taskHub=AciJobsHub&connection=Storage&code=key123",
      purgeHistoryDeleteUri: "https://jobs.example.net/runtime/webhooks/durabletask/instances/abc?taskHub=AciJobsHub&connection=Storage&code=key123",
      suspendPostUri: "https://jobs.example.net/runtime/webhooks/durabletask/instances/abc/suspend?reason={text}&taskHub=AciJobsHub&connection=Storage&code=key123",
      resumePostUri: "https://jobs.example.net/runtime/webhooks/durabletask/instances/abc/resume?reason={text}&taskHub=AciJobsHub&connection=Storage&code=key123",
    });
    expect(host.client.createHttpManagementPayload("abc").statusQueryGetUri).toMatch(/^http:\/\/localhost:7071\//);
  });

  it("fails orchestrations that use actions the in-process host does not implement", async () => {
    const host = hostWithWaiter();
    host.registerOrchestrator("http", function* (context) {
      return yield context.df.callHttp({ method: "GET", url: "https://example.com" });
    });
    const status = await host.waitForCompletion(await host.client.startNew("http"));
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toContain("CallHttp is not supported by the in-process host");
  });
});
