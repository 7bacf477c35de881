/**
 * What the Functions host would receive from this app: the real entry point (src/index.ts) loaded with
 * a provided `@azure/functions-core` module (normally the worker's), every registerFunction call
 * captured, and its bindings asserted (durable-functions.md §20). Binding names carry hash suffixes,
 * so bindings are found by type.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { captureRegistrations, type CapturedBinding, type CapturedFunction } from "../../dev/durable-host";
import { APP_FUNCTIONS } from "../support/appFunctions";

let functions: CapturedFunction[] = [];

beforeAll(async () => {
  Object.assign(process.env, {
    AZURE_SUBSCRIPTION_ID: "11111111-2222-3333-4444-555555555555",
    ACI_RESOURCE_GROUP: "rg-jobs",
    ACI_REGION: "westeurope",
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
  });
  functions = await captureRegistrations(() => import("../../src/index.js"));
});

function fn(name: string): CapturedFunction {
  const found = functions.find((f) => f.name === name);
  if (!found) throw new Error(`${name} was not registered; registered: ${functions.map((f) => f.name).join(", ")}`);
  return found;
}

function bindings(name: string): CapturedBinding[] {
  return Object.values(fn(name).metadata.bindings);
}

function binding(name: string, type: string): CapturedBinding {
  const found = bindings(name).find((b) => b.type === type);
  if (!found) throw new Error(`${name} has no ${type} binding: ${JSON.stringify(fn(name).metadata.bindings)}`);
  return found;
}

describe("the app's registrations", () => {
  it("registers exactly the app's functions", () => {
    expect(functions.map((f) => f.name).sort()).toEqual([...APP_FUNCTIONS].sort());
  });

  it("starts runs with POST /api/jobs/{job}/runs behind a function key, with a durable client", () => {
    expect(binding("startJobRun", "httpTrigger")).toMatchObject({ direction: "in", route: "jobs/{job}/runs", methods: ["POST"], authLevel: "function" });
    expect(binding("startJobRun", "durableClient")).toMatchObject({ direction: "in" });
    expect(binding("startJobRun", "http")).toMatchObject({ direction: "out" });
  });

  it("reads runs with GET /api/jobs/{job}/runs/{runId} and lists jobs with GET /api/jobs, both behind a function key", () => {
    expect(binding("getJobRun", "httpTrigger")).toMatchObject({ route: "jobs/{job}/runs/{runId}", methods: ["GET"], authLevel: "function" });
    expect(binding("getJobRun", "durableClient")).toMatchObject({ direction: "in" });
    expect(binding("listJobs", "httpTrigger")).toMatchObject({ route: "jobs", methods: ["GET"], authLevel: "function" });
    expect(bindings("listJobs").some((b) => b.type === "durableClient")).toBe(false);
  });

  it("cancels runs with POST /api/jobs/{job}/runs/{runId}/cancel behind a function key, with a durable client", () => {
    expect(binding("cancelJobRun", "httpTrigger")).toMatchObject({ route: "jobs/{job}/runs/{runId}/cancel", methods: ["POST"], authLevel: "function" });
    expect(binding("cancelJobRun", "durableClient")).toMatchObject({ direction: "in" });
  });

  it("reruns runs and backfills jobs behind a function key, with a durable client", () => {
    expect(binding("rerunJobRun", "httpTrigger")).toMatchObject({ route: "jobs/{job}/runs/{runId}/rerun", methods: ["POST"], authLevel: "function" });
    expect(binding("backfillJob", "httpTrigger")).toMatchObject({ route: "jobs/{job}/backfill", methods: ["POST"], authLevel: "function" });
    expect(binding("backfillJob", "durableClient")).toMatchObject({ direction: "in" });
  });

  it("reads, pauses and resumes jobs behind a function key", () => {
    expect(binding("getJob", "httpTrigger")).toMatchObject({ route: "jobs/{job}", methods: ["GET"], authLevel: "function" });
    expect(binding("pauseJob", "httpTrigger")).toMatchObject({ route: "jobs/{job}/pause", methods: ["POST"], authLevel: "function" });
    expect(binding("resumeJob", "httpTrigger")).toMatchObject({ route: "jobs/{job}/resume", methods: ["POST"], authLevel: "function" });
  });

  it("schedules the tutorial job daily at midnight UTC without firing on startup", () => {
    expect(binding("schedule_azure_container_instances", "timerTrigger")).toMatchObject({ direction: "in", schedule: "0 0 0 * * *", runOnStartup: false });
    expect(binding("schedule_azure_container_instances", "durableClient")).toMatchObject({ direction: "in" });
  });

  it("registers the orchestrations and activities with their Durable triggers", () => {
    for (const name of ["runJob", "watchContainerGroup"]) expect(binding(name, "orchestrationTrigger")).toMatchObject({ direction: "in" });
    for (const name of ["createContainerGroup", "observeContainerGroup", "collectContainerLogs", "deleteContainerGroup", "releaseRunSlot"]) {
      expect(binding(name, "activityTrigger")).toMatchObject({ direction: "in" });
    }
  });
});
