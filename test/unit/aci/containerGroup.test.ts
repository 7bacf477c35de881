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

  it("also names the deployment, and marks a group its job may keep, so the orphan sweeper knows what it may delete", () => {
    const tagged = toContainerGroup({ groupName: "g", region: "eastus", container: tutorial, owner: { ...owner, app: "stacijobs01", mayKeep: true } });
    expect(tagged.tags).toMatchObject({ [OWNERSHIP_TAGS.app]: "stacijobs01", [OWNERSHIP_TAGS.mayKeep]: "true" });
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

describe("toContainerGroup: every container field", () => {
  const identityId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/puller";
  const subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/jobs";
  const build = (container: Record<string, unknown>, secrets: Record<string, string> = {}) =>
    toContainerGroup({ groupName: "g", region: "westeurope", container: containerSpec(container), owner, secrets: new Map(Object.entries(secrets)) });

  it("sends the job's restart policy and OS type instead of a hard-coded Never/Linux", () => {
    const built = build({ image: "busybox", restartPolicy: "OnFailure", osType: "Windows" });
    expect(built.restartPolicy).toBe("OnFailure");
    expect(built.osType).toBe("Windows");
  });

  it("requests the GPU count and SKU next to CPU and memory", () => {
    expect(build({ image: "busybox", gpu: { count: 2, sku: "V100" } }).containers[0]?.resources).toEqual({
      requests: { cpu: 1, memoryInGB: 2, gpu: { count: 2, sku: "V100" } },
    });
  });

  it("merges the user's tags with the ownership tags, the ownership tags winning", () => {
    expect(build({ image: "busybox", tags: { team: "data", cost: "42" } }).tags).toEqual({
      team: "data",
      cost: "42",
      [OWNERSHIP_TAGS.job]: owner.jobId,
      [OWNERSHIP_TAGS.runId]: owner.runId,
      [OWNERSHIP_TAGS.attempt]: "2",
    });
  });

  it("sends a managed-identity registry login as {server, identity} and a password login with the resolved password", () => {
    const built = build(
      {
        image: "contoso.azurecr.io/job:1",
        identity: { type: "UserAssigned", userAssignedIdentities: [identityId] },
        registryCredentials: [
          { server: "contoso.azurecr.io", identity: identityId },
          { server: "ghcr.io", username: "bot", password: keyVaultSecret("ghcr-token") },
        ],
      },
      { "ghcr-token": "pat-123" },
    );
    expect(built.imageRegistryCredentials).toEqual([
      { server: "contoso.azurecr.io", identity: identityId },
      { server: "ghcr.io", username: "bot", password: "pat-123" },
    ]);
    expect(built.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } });
  });

  it("sends a system-assigned identity without a userAssignedIdentities map", () => {
    expect(build({ image: "busybox", identity: { type: "SystemAssigned" } }).identity).toEqual({ type: "SystemAssigned" });
  });

  it("maps each kind of volume and the mounts, with the account key resolved and secret files base64-encoded", () => {
    const built = build(
      {
        image: "busybox",
        volumes: [
          { name: "share", azureFile: { shareName: "data", storageAccountName: "contosodata", storageAccountKey: keyVaultSecret("storage-key"), readOnly: true } },
          { name: "scratch", emptyDir: {} },
          { name: "certs", secret: { "tls.key": keyVaultSecret("tls-key", "0123456789abcdef0123456789abcdef") } },
          { name: "source", gitRepo: { repository: "https://github.com/contoso/jobs.git", revision: "main" } },
        ],
        volumeMounts: [
          { name: "share", mountPath: "/mnt/share", readOnly: true },
          { name: "scratch", mountPath: "/scratch" },
        ],
      },
      { "storage-key": "account-key==", "tls-key/0123456789abcdef0123456789abcdef": "-----BEGIN KEY-----" },
    );
    expect(built.volumes).toEqual([
      { name: "share", azureFile: { shareName: "data", storageAccountName: "contosodata", storageAccountKey: "account-key==", readOnly: true } },
      { name: "scratch", emptyDir: {} },
      { name: "certs", secret: { "tls.key": Buffer.from("-----BEGIN KEY-----").toString("base64") } },
      { name: "source", gitRepo: { repository: "https://github.com/contoso/jobs.git", revision: "main" } },
    ]);
    expect(built.containers[0]?.volumeMounts).toEqual([
      { name: "share", mountPath: "/mnt/share", readOnly: true },
      { name: "scratch", mountPath: "/scratch", readOnly: false },
    ]);
  });

  it("opens port 80 on the container and the IP when an IP address is requested without ports (Airflow's default)", () => {
    const built = build({ image: "nginx", ipAddress: { type: "Public", dnsNameLabel: "contoso-job" } });
    expect(built.ipAddress).toEqual({ type: "Public", ports: [{ port: 80, protocol: "TCP" }], dnsNameLabel: "contoso-job" });
    expect(built.containers[0]?.ports).toEqual([{ port: 80, protocol: "TCP" }]);
  });

  it("sends the container's ports on the IP when the IP names none", () => {
    const built = build({ image: "nginx", ports: [{ port: 8080 }, { port: 53, protocol: "UDP" }], ipAddress: { type: "Public" } });
    expect(built.ipAddress?.ports).toEqual([{ port: 8080, protocol: "TCP" }, { port: 53, protocol: "UDP" }]);
    expect(built.containers[0]?.ports).toEqual(built.ipAddress?.ports);
  });

  it("sends subnet ids, DNS configuration and a private IP for a group in a virtual network", () => {
    const built = build({
      image: "busybox",
      ipAddress: { type: "Private", ports: [{ port: 443 }] },
      ports: [{ port: 443 }],
      subnetIds: [{ id: subnet, name: "jobs" }],
      dnsConfig: { nameServers: ["10.0.0.4"], searchDomains: "contoso.internal", options: "ndots:2" },
    });
    expect(built.subnetIds).toEqual([{ id: subnet, name: "jobs" }]);
    expect(built.dnsConfig).toEqual({ nameServers: ["10.0.0.4"], searchDomains: "contoso.internal", options: "ndots:2" });
    expect(built.ipAddress).toEqual({ type: "Private", ports: [{ port: 443, protocol: "TCP" }] });
  });

  it("sends Log Analytics with the resolved workspace key", () => {
    const built = build(
      { image: "busybox", diagnostics: { logAnalytics: { workspaceId: "1b2c3d4e-0000-4000-8000-000000000001", workspaceKey: keyVaultSecret("la-key"), logType: "ContainerInstanceLogs" } } },
      { "la-key": "workspace-key==" },
    );
    expect(built.diagnostics).toEqual({
      logAnalytics: { workspaceId: "1b2c3d4e-0000-4000-8000-000000000001", workspaceKey: "workspace-key==", logType: "ContainerInstanceLogs" },
    });
  });

  it("sends the priority (Regular by default, Spot when asked)", () => {
    expect(build({ image: "busybox" }).priority).toBe("Regular");
    expect(build({ image: "busybox", priority: "Spot" }).priority).toBe("Spot");
  });

  it("leaves out every optional field the job does not use", () => {
    const built = build({ image: "busybox" });
    for (const field of ["identity", "imageRegistryCredentials", "volumes", "ipAddress", "subnetIds", "dnsConfig", "diagnostics"]) {
      expect(built).not.toHaveProperty(field);
    }
    for (const field of ["command", "ports", "volumeMounts"]) expect(built.containers[0]).not.toHaveProperty(field);
    expect(built.containers[0]?.resources.requests).not.toHaveProperty("gpu");
  });

  it("throws when a referenced secret was not resolved, naming the secret", () => {
    expect(() => build({ image: "busybox", environment: { TOKEN: keyVaultSecret("api-token") } })).toThrow(/api-token was not resolved/u);
    expect(() =>
      build({ image: "busybox", volumes: [{ name: "certs", secret: { "a.pem": keyVaultSecret("cert", "0123456789abcdef0123456789abcdef") } }] }, { cert: "unversioned" }),
    ).toThrow(/cert\/0123456789abcdef0123456789abcdef was not resolved/u);
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
