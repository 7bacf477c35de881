import { describe, expect, it } from "vitest";
import { JOB_DEFINITIONS, JobDefinitionError, loadJobs } from "../../../src/jobs";
import tutorialDefinition from "../../../src/jobs/azure_container_instances";

function loadError(definitions: readonly unknown[]): JobDefinitionError {
  try {
    loadJobs(definitions);
  } catch (error) {
    expect(error).toBeInstanceOf(JobDefinitionError);
    return error as JobDefinitionError;
  }
  throw new Error("expected loadJobs to throw");
}

describe("loadJobs: the tutorial job, value for value as the Airflow DAG", () => {
  const job = loadJobs().get("azure_container_instances")!;

  it("is registered under the DAG's id", () => {
    expect(job).toBeDefined();
    expect(job.id).toBe("azure_container_instances");
    expect(JOB_DEFINITIONS).toContain(tutorialDefinition);
  });

  it("runs @daily, as NCRONTAB 0 0 0 * * *, without catchup", () => {
    expect(job.schedule).toEqual({ expression: "@daily", ncrontab: "0 0 0 * * *", timeZone: "UTC", timerSchedule: "0 0 0 * * *", utcOffsets: [] });
    expect(job.catchup).toBe(false);
  });

  it("retries once after 60 s and allows one active run", () => {
    expect(job.retries).toBe(1);
    expect(job.retryDelay).toBe(60_000);
    expect(job.maxActiveRuns).toBe(1);
  });

  it("runs hello-world:latest as azure-tutorial-container in eastus with 1 CPU and 1.5 GB, replacing an existing group", () => {
    expect(job.container).toEqual({
      groupName: "azure-tutorial-container",
      region: "eastus",
      image: "hello-world:latest",
      cpu: 1,
      memoryInGB: 1.5,
      environment: {},
      failIfExists: false,
      osType: "Linux",
      restartPolicy: "Never",
      priority: "Regular",
      registryCredentials: [],
      volumes: [],
      volumeMounts: [],
      ports: [],
      subnetIds: [],
      tags: {},
    });
  });

  it("gets the default budget of 24 hours for the whole run", () => {
    expect(job.timeout).toBe(24 * 60 * 60 * 1000);
  });
});

describe("loadJobs: the registry", () => {
  const registry = loadJobs([
    { id: "Alpha", container: { image: "a" } },
    { id: "beta", container: { image: "b" } },
  ]);

  it("lists every job in definition order", () => {
    expect(registry.all.map((j) => j.id)).toEqual(["Alpha", "beta"]);
  });

  it("finds jobs case-insensitively and answers undefined for an unknown id", () => {
    expect(registry.get("alpha")?.id).toBe("Alpha");
    expect(registry.get("BETA")?.id).toBe("beta");
    expect(registry.get("gamma")).toBeUndefined();
  });

  it("cannot be changed after loading", () => {
    expect(Object.isFrozen(registry)).toBe(true);
    expect(Object.isFrozen(registry.all)).toBe(true);
  });

  it("accepts an empty list", () => {
    expect(loadJobs([]).all).toEqual([]);
  });
});

describe("loadJobs: invalid definitions", () => {
  it("throws one error that lists every problem of every job, each with job and field", () => {
    const error = loadError([
      { id: "first", container: { image: "" } },
      { id: "fine", container: { image: "ok" } },
      { id: "second", retries: -1, container: { image: "x", cpu: 0 } },
    ]);
    expect(error.problems).toEqual([
      'job "first", field container.image: image is required',
      'job "second", field retries: Too small: expected number to be >=0',
      'job "second", field container.cpu: cpu must be at least 1 vCPU (ACI\'s minimum for a container group)',
    ]);
    expect(error.name).toBe("JobDefinitionError");
    expect(error.message).toBe(`Invalid job definitions:\n${error.problems.map((p) => `  - ${p}`).join("\n")}`);
  });

  it("labels a definition without a usable id by its position", () => {
    const error = loadError([{ id: "ok", container: { image: "x" } }, { container: { image: "x" } }, null]);
    expect(error.problems).toEqual([
      'job "#2", field id: Invalid input: expected string, received undefined',
      'job "#3", field (definition): Invalid input: expected object, received null',
    ]);
  });

  it("rejects a second job whose id differs only in case", () => {
    const error = loadError([
      { id: "report", container: { image: "x" } },
      { id: "Report", container: { image: "y" } },
    ]);
    expect(error.problems).toEqual(['job "Report", field id: another job already has this id (ids are compared case-insensitively)']);
  });
});
