import { describe, expect, it } from "vitest";
import {
  OWNERSHIP_TAGS,
  containerNameFor,
  isOwnedBy,
  ownerOf,
  toContainerGroup,
  type GroupOwner,
} from "../../../src/aci/containerGroup";
import { parseJobDefinition, type ContainerSpec } from "../../../src/jobs/definition";
import { keyVaultSecret } from "../../../src/jobs/secretReference";

function containerSpec(container: Record<string, unknown>): ContainerSpec {
  const parsed = parseJobDefinition({ id: "job", maxActiveRuns: 1, container }, "job");
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.job.container;
}

const owner: GroupOwner = { jobId: "azure_container_instances", runId: "run-1", attempt: 2 };
const tutorial = containerSpec({
  groupName: "azure-tutorial-container",
  region: "eastus",
  image: "hello-world:latest",
  cpu: 1,
  memoryInGB: 1.5,
  failIfExists: false,
});

describe("toContainerGroup (Airflow test_execute, adapted)", () => {
  const group = toContainerGroup({ groupName: "azure-tutorial-container", region: "eastus", container: tutorial, owner });

  it("puts the group in the requested region, Linux, restart policy Never", () => {
    expect(group.location).toBe("eastus");
    expect(group.osType).toBe("Linux");
    expect(group.restartPolicy).toBe("Never");
  });

  it("has exactly one container, named like the group, with the image and the requested CPU and memory", () => {
    expect(group.containers).toHaveLength(1);
    const [container] = group.containers;
    expect(container?.name).toBe("azure-tutorial-container");
    expect(container?.image).toBe("hello-world:latest");
    expect(container?.resources).toEqual({ requests: { cpu: 1, memoryInGB: 1.5 } });
  });

  it("sends no command when the job has none, so the image's entrypoint runs", () => {
    expect(group.containers[0]).not.toHaveProperty("command");
  });

  it("sends no registry credentials (public image)", () => {
    expect(group.imageRegistryCredentials).toBeUndefined();
  });

  it("tags the group with the job, run id and attempt that own it", () => {
    expect(group.tags).toEqual({
      [OWNERSHIP_TAGS.job]: "azure_container_instances",
      [OWNERSHIP_TAGS.runId]: "run-1",
      [OWNERSHIP_TAGS.attempt]: "2",
    });
  });

  it("copies the command instead of sharing the job's array", () => {
    const spec = containerSpec({ image: "busybox", command: ["sh", "-c", "echo hi"] });
    const built = toContainerGroup({ groupName: "g", region: "westeurope", container: spec, owner });
    expect(built.containers[0]?.command).toEqual(["sh", "-c", "echo hi"]);
    expect(built.containers[0]?.command).not.toBe(spec.command);
  });

  it("sends plain environment values as value and secret ones as secureValue only", () => {
    const spec = containerSpec({ image: "busybox", environment: { MODE: "test", TOKEN: keyVaultSecret("api-token") } });
    const built = toContainerGroup({ groupName: "g", region: "eastus", container: spec, owner, secrets: new Map([["api-token", "s3cret"]]) });
    expect(built.containers[0]?.environmentVariables).toEqual([
      { name: "MODE", value: "test" },
      { name: "TOKEN", secureValue: "s3cret" },
    ]);
  });

  it("sends an empty environment list when the job defines none", () => {
    expect(group.containers[0]?.environmentVariables).toEqual([]);
  });
});

describe("containerNameFor", () => {
  it("names the single container after its group, as Airflow's operator does", () => {
    expect(containerNameFor("azure-tutorial-container")).toBe("azure-tutorial-container");
  });
});

describe("isOwnedBy", () => {
  const tags = { [OWNERSHIP_TAGS.job]: owner.jobId, [OWNERSHIP_TAGS.runId]: owner.runId, [OWNERSHIP_TAGS.attempt]: "2" };

  it("is true for a group carrying this attempt's job, run id and attempt", () => {
    expect(isOwnedBy({ tags }, owner)).toBe(true);
  });

  it("is false for the same run's other attempt, another run, another job, or a group without tags", () => {
    expect(isOwnedBy({ tags }, { ...owner, attempt: 1 })).toBe(false);
    expect(isOwnedBy({ tags }, { ...owner, runId: "run-2" })).toBe(false);
    expect(isOwnedBy({ tags }, { ...owner, jobId: "other" })).toBe(false);
    expect(isOwnedBy({}, owner)).toBe(false);
  });
});

describe("ownerOf", () => {
  it("names the run and job of a group aci-jobs created", () => {
    expect(ownerOf({ tags: { [OWNERSHIP_TAGS.job]: "j", [OWNERSHIP_TAGS.runId]: "r" } })).toBe("run r of job j");
  });

  it("uses ? for a missing job tag and says when the group is not ours at all", () => {
    expect(ownerOf({ tags: { [OWNERSHIP_TAGS.runId]: "r" } })).toBe("run r of job ?");
    expect(ownerOf({ tags: { team: "data" } })).toBe("something other than aci-jobs");
    expect(ownerOf({})).toBe("something other than aci-jobs");
  });
});
