/**
 * Startup validation of the container and the issue-4 job fields: each value ACI (or the job's own logic)
 * would refuse fails with the job, the field and the reason, before any run starts.
 */
import { describe, expect, it } from "vitest";
import { effectivePorts, secretReferencesOf } from "../../../src/jobs/container";
import { parseJobDefinition, type JobSpec } from "../../../src/jobs/definition";
import { keyVaultSecret } from "../../../src/jobs/secretReference";

const IDENTITY = "/subscriptions/0000/resourceGroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/puller";
const SUBNET = "/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/jobs";

function job(container: Record<string, unknown>, fields: Record<string, unknown> = {}): unknown {
  return { id: "nightly_export", ...fields, container: { image: "busybox:1.36", ...container } };
}

function parsed(definition: unknown): JobSpec {
  const result = parseJobDefinition(definition, "nightly_export");
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.job;
}

function problems(definition: unknown): string[] {
  const result = parseJobDefinition(definition, "nightly_export");
  if (result.ok) throw new Error("expected the definition to be rejected");
  return result.problems;
}

describe("operator parameters Airflow checks in its constructor", () => {
  it("test_execute_fails_with_incorrect_os_type: MacOs is refused, naming the field", () => {
    expect(problems(job({ osType: "MacOs" }))).toEqual(['job "nightly_export", field container.osType: osType must be Linux or Windows']);
  });

  it("test_execute_fails_with_incorrect_restart_policy: Everyday is refused, naming the field", () => {
    expect(problems(job({ restartPolicy: "Everyday" }))).toEqual([
      'job "nightly_export", field container.restartPolicy: restartPolicy must be Never, OnFailure or Always',
    ]);
  });

  it("refuses a priority other than Regular or Spot (Airflow's priority check)", () => {
    expect(problems(job({ priority: "Low" }))).toEqual(['job "nightly_export", field container.priority: priority must be Regular or Spot']);
  });

  it("test_execute_with_windows_os_and_diff_restart_policy: Windows and Always are accepted", () => {
    const container = parsed(job({ osType: "Windows", restartPolicy: "Always" })).container;
    expect(container).toMatchObject({ osType: "Windows", restartPolicy: "Always" });
  });
});

describe("volumes and mounts", () => {
  const share = { name: "reports", azureFile: { shareName: "reports", storageAccountName: "contosodata", storageAccountKey: keyVaultSecret("share-key") } };

  it("accepts the four kinds of volume with their mounts", () => {
    const container = parsed(
      job({
        volumes: [
          share,
          { name: "scratch", emptyDir: {} },
          { name: "settings", secret: { "settings.json": keyVaultSecret("settings-file") } },
          { name: "source", gitRepo: { repository: "https://github.com/contoso/jobs.git", revision: "main" } },
        ],
        volumeMounts: [
          { name: "reports", mountPath: "/mnt/reports", readOnly: true },
          { name: "scratch", mountPath: "/tmp/scratch" },
        ],
      }),
    ).container;
    expect(container.volumeMounts).toEqual([
      { name: "reports", mountPath: "/mnt/reports", readOnly: true },
      { name: "scratch", mountPath: "/tmp/scratch", readOnly: false },
    ]);
    expect(container.volumes[0]?.azureFile?.readOnly).toBe(false);
  });

  it("refuses a mount of an undeclared volume and a mount path with a colon", () => {
    expect(problems(job({ volumes: [share], volumeMounts: [{ name: "reports", mountPath: "C:/data" }] }))).toEqual([
      'job "nightly_export", field container.volumeMounts.0.mountPath: a mount path must not contain \':\'',
    ]);
    expect(problems(job({ volumes: [share], volumeMounts: [{ name: "missing", mountPath: "/data" }] }))).toEqual([
      'job "nightly_export", field container.volumeMounts.0.name: mount "missing" refers to no volume in volumes',
    ]);
  });

  it("refuses a volume with no kind or two kinds, a duplicate name and a name ACI would refuse", () => {
    const found = problems(
      job({
        volumes: [
          { name: "empty" },
          { name: "both1", emptyDir: {}, gitRepo: { repository: "https://example.com/r.git" } },
          { name: "twice", emptyDir: {} },
          { name: "twice", emptyDir: {} },
          { name: "a--b-volume", emptyDir: {} },
        ],
      }),
    ).join("\n");
    expect(found).toMatch(/field container\.volumes\.0: volume "empty" must have exactly one of azureFile, emptyDir, secret or gitRepo \(has none\)/u);
    expect(found).toMatch(/field container\.volumes\.1: volume "both1" must have exactly one of .* \(has emptyDir, gitRepo\)/u);
    expect(found).toMatch(/field container\.volumes\.3\.name: volume name "twice" is used twice/u);
    expect(found).toMatch(/field container\.volumes\.4\.name: a volume name is 5-63 lowercase letters/u);
  });

  it("refuses Azure Files, secret and gitRepo volumes on Windows", () => {
    expect(problems(job({ osType: "Windows", volumes: [share] }))).toEqual([
      'job "nightly_export", field container.volumes.0: Azure Files, secret and gitRepo volumes are available to Linux containers only',
    ]);
  });

  it("refuses a storage key written as a plain string: secrets are Key Vault references only", () => {
    const found = problems(job({ volumes: [{ ...share, azureFile: { ...share.azureFile, storageAccountKey: "plain-key" } }] }));
    expect(found.join("\n")).toMatch(/field container\.volumes\.0\.azureFile\.storageAccountKey/u);
  });
});

describe("networking", () => {
  it("opens port 80 when an IP address is requested without ports, as Airflow does", () => {
    const container = parsed(job({ ipAddress: { type: "Public" } })).container;
    expect(effectivePorts(container)).toEqual({ container: [{ port: 80, protocol: "TCP" }], ipAddress: [{ port: 80, protocol: "TCP" }] });
  });

  it("refuses a container port that the IP address does not open", () => {
    expect(problems(job({ ipAddress: { type: "Public", ports: [{ port: 443 }] }, ports: [{ port: 8080 }] }))).toEqual([
      'job "nightly_export", field container.ports.0.port: port 8080 is not among ipAddress.ports, so ACI would refuse the group',
    ]);
  });

  it("needs a subnet for a Private IP, refuses a Public IP in a subnet, and a DNS label without a Public IP", () => {
    expect(problems(job({ ipAddress: { type: "Private" } })).join("\n")).toMatch(/a Private IP address needs subnetIds/u);
    expect(problems(job({ ipAddress: { type: "Public" }, subnetIds: [{ id: SUBNET }] })).join("\n")).toMatch(/can only have a Private IP address/u);
    expect(problems(job({ ipAddress: { type: "Private", dnsNameLabel: "nightly" }, subnetIds: [{ id: SUBNET }] })).join("\n")).toMatch(
      /field container\.ipAddress\.dnsNameLabel: a DNS name label needs a Public IP address/u,
    );
  });

  it("refuses an IP whose ports leave out the container's default port 80, and an IP with an empty port list", () => {
    expect(problems(job({ ipAddress: { type: "Public", ports: [{ port: 443 }] } }))).toEqual([
      'job "nightly_export", field container.ports: the container gets port 80 by default, which ipAddress.ports does not open; list the container\'s ports',
    ]);
    expect(problems(job({ ipAddress: { type: "Public", ports: [] } })).join("\n")).toMatch(/field container\.ipAddress\.ports/u);
  });

  it("refuses a DNS name label ACI would refuse and a subnet that is not a subnet id", () => {
    expect(problems(job({ ipAddress: { dnsNameLabel: "Teste" } })).join("\n")).toMatch(/field container\.ipAddress\.dnsNameLabel: a DNS name label is 5-63/u);
    expect(problems(job({ subnetIds: [{ id: "jobs" }] })).join("\n")).toMatch(/field container\.subnetIds\.0\.id: must be the resource id of a subnet/u);
  });
});

describe("identity and registries", () => {
  it("accepts a pull identity that is also one of the group's user-assigned identities", () => {
    const container = parsed(
      job({
        image: "contoso.azurecr.io/jobs/export:1.0",
        identity: { type: "UserAssigned", userAssignedIdentities: [IDENTITY] },
        registryCredentials: [{ server: "contoso.azurecr.io", identity: IDENTITY }],
      }),
    ).container;
    expect(container.registryCredentials).toEqual([{ server: "contoso.azurecr.io", identity: IDENTITY }]);
  });

  it("refuses a pull identity the group does not have, and a registry given as a URL", () => {
    const found = problems(job({ registryCredentials: [{ server: "https://contoso.azurecr.io", identity: IDENTITY }] })).join("\n");
    expect(found).toMatch(/field container\.registryCredentials\.0\.server: must be a registry host/u);
    const missing = problems(job({ registryCredentials: [{ server: "contoso.azurecr.io", identity: IDENTITY }] }));
    expect(missing).toEqual([
      'job "nightly_export", field container.registryCredentials.0.identity: the pull identity must also be listed in identity.userAssignedIdentities',
    ]);
  });

  it("refuses a registry password written as a plain string, saying how to refer to a secret instead", () => {
    const found = problems(job({ registryCredentials: [{ server: "contoso.azurecr.io", username: "puller", password: "hunter2" }] }));
    expect(found.join("\n")).toMatch(/field container\.registryCredentials\.0: .*password: keyVaultSecret\("name"\).*never written in a job/u);
    expect(found.join("\n")).not.toContain("hunter2");
  });

  it("refuses an environment value that is neither a string nor a Key Vault reference, saying what it may be", () => {
    expect(problems(job({ environment: { RETRIES: 5 } }))).toEqual([
      'job "nightly_export", field container.environment.RETRIES: an environment value is a string, or a Key Vault reference such as keyVaultSecret("db-password") for a secret',
    ]);
  });

  it("test_execute_with_identity_dict: accepts Airflow's spelling without the space and sends ARM's", () => {
    const container = parsed(job({ identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: [IDENTITY] } })).container;
    expect(container.identity).toEqual({ type: "SystemAssigned, UserAssigned", userAssignedIdentities: [IDENTITY] });
    expect(problems(job({ identity: { type: "Managed" } })).join("\n")).toMatch(/field container\.identity\.type: identity\.type must be/u);
  });

  it("checks the identity type against its user-assigned identities", () => {
    expect(problems(job({ identity: { type: "UserAssigned" } })).join("\n")).toMatch(/identity type UserAssigned needs at least one user-assigned identity/u);
    expect(problems(job({ identity: { type: "SystemAssigned", userAssignedIdentities: [IDENTITY] } })).join("\n")).toMatch(
      /identity type SystemAssigned takes no user-assigned identities/u,
    );
  });
});

describe("GPU, Spot and tags", () => {
  it("refuses a GPU count ACI never offered and GPUs on Windows", () => {
    expect(problems(job({ gpu: { count: 3, sku: "V100" } })).join("\n")).toMatch(/field container\.gpu\.count: gpu\.count must be 1, 2 or 4/u);
    expect(problems(job({ osType: "Windows", gpu: { count: 1, sku: "K80" } })).join("\n")).toMatch(/GPU resources are available to Linux containers only/u);
  });

  it("holds Spot groups to ACI's Spot rules: no network, no GPU, 4 vCPU and 16 GB", () => {
    const found = problems(job({ priority: "Spot", ipAddress: { type: "Public" }, gpu: { count: 1, sku: "K80" }, cpu: 8, memoryInGB: 32 })).join("\n");
    expect(found).toMatch(/SpotPriorityContainerGroupNotSupportedForInboundConnectivity/u);
    expect(found).toMatch(/SpotPriorityContainerGroupWithGPUResourcesNotSupported/u);
    expect(found).toMatch(/field container\.cpu: Spot container groups get at most 4 vCPU/u);
    expect(found).toMatch(/field container\.memoryInGB: Spot container groups get at most 16 GB/u);
  });

  it("test_execute_with_tags: keeps the job's tags, but not ones that would impersonate aci-jobs' ownership tags", () => {
    expect(parsed(job({ tags: { testKey: "testValue" } })).container.tags).toEqual({ testKey: "testValue" });
    expect(problems(job({ tags: { "aci-jobs-run-id": "forged" } })).join("\n")).toMatch(/tag names starting with "aci-jobs-" are reserved/u);
    // ARM allows 50 tags on a resource, and aci-jobs adds up to 5 of its own.
    const tags = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`team${i}`, "x"]));
    expect(Object.keys(parsed(job({ tags: tags(45) })).container.tags)).toHaveLength(45);
    expect(problems(job({ tags: tags(46) })).join("\n")).toMatch(/at most 45 tags/u);
  });
});

describe("secret references", () => {
  it("sends a Key Vault reference in the environment as a secret and lists every reference once", () => {
    const container = parsed(
      job({
        environment: { MODE: "full", DB_PASSWORD: keyVaultSecret("db-password"), DB_PASSWORD_AGAIN: keyVaultSecret("db-password") },
        registryCredentials: [{ server: "contoso.azurecr.io", username: "puller", password: keyVaultSecret("acr-password", "0123456789abcdef0123456789abcdef") }],
        diagnostics: { logAnalytics: { workspaceId: "6e4a1f3c-2b7d-4c9e-8f01-3a5b7c9d1e2f", workspaceKey: keyVaultSecret("workspace-key") } },
      }),
    ).container;
    expect(secretReferencesOf(container)).toEqual([
      { keyVaultSecret: "db-password" },
      { keyVaultSecret: "acr-password", version: "0123456789abcdef0123456789abcdef" },
      { keyVaultSecret: "workspace-key" },
    ]);
  });

  it("refuses a secret name Key Vault would refuse and a version that is not one", () => {
    const found = problems(job({ environment: { TOKEN: { keyVaultSecret: "bad_name" }, OTHER: { keyVaultSecret: "ok", version: "latest" } } })).join("\n");
    expect(found).toMatch(/field container\.environment\.TOKEN/u);
    expect(found).toMatch(/field container\.environment\.OTHER/u);
  });
});

describe("run-level fields of issue 4", () => {
  it("defaults to Airflow's retry policy and retries every failure class", () => {
    const spec = parsed(job({}));
    expect(spec.retryExponentialBackoff).toBe(false);
    expect(spec.maxRetryDelay).toBe(24 * 60 * 60 * 1000);
    expect(spec.retryOn).toContain("exitCode");
    expect(spec.spotFallback).toBe(false);
    expect(spec.containerTimeout).toBeUndefined();
    expect(spec.overrides).toEqual({ command: false, environment: [], imageTags: [], slot: false });
  });

  it("refuses a containerTimeout under a minute or longer than the run's timeout, and an unknown failure class", () => {
    expect(problems(job({}, { containerTimeout: "30s" })).join("\n")).toMatch(/field containerTimeout: containerTimeout must be at least 1m/u);
    expect(problems(job({}, { timeout: "1h", containerTimeout: "2h" })).join("\n")).toMatch(/must not be longer than the run's timeout/u);
    expect(problems(job({}, { retryOn: ["exitCode", "cosmicRays"] })).join("\n")).toMatch(/field retryOn\.1/u);
  });

  it("needs Spot priority for spotFallback", () => {
    expect(problems(job({}, { spotFallback: true }))).toEqual(['job "nightly_export", field spotFallback: spotFallback needs container.priority Spot']);
  });

  it("refuses a command override for a job that uses secrets: a chosen command could print them in any encoding", () => {
    expect(problems(job({ environment: { TOKEN: keyVaultSecret("api-token") } }, { overrides: { command: true } }))).toEqual([
      'job "nightly_export", field overrides.command: a job that uses Key Vault secrets cannot let callers replace its command: the command could reveal them',
    ]);
    expect(parsed(job({ environment: { MODE: "full" } }, { overrides: { command: true } })).overrides.command).toBe(true);
  });

  it("refuses overrides that could replace a secret, exceed Spot limits or retag a digest", () => {
    const secretOverride = problems(job({ environment: { TOKEN: keyVaultSecret("api-token") } }, { overrides: { environment: ["TOKEN"] } }));
    expect(secretOverride).toEqual([
      'job "nightly_export", field overrides.environment.0: TOKEN is a Key Vault reference: a caller must not replace a secret with a plain value',
    ]);
    expect(problems(job({ priority: "Spot" }, { overrides: { cpu: { max: 8 } } })).join("\n")).toMatch(/field overrides\.cpu\.max: Spot container groups get at most 4 vCPU/u);
    expect(problems(job({ image: "busybox@sha256:" + "a".repeat(64) }, { overrides: { imageTags: ["1.37"] } })).join("\n")).toMatch(
      /an image pinned by digest has no tag to override/u,
    );
  });
});

describe("environment and command sizes (issue 9)", () => {
  const variables = (count: number, value = "x") => Object.fromEntries(Array.from({ length: count }, (_, i) => [`V${i}`, value]));

  it("refuses more than 100 environment variables, Key Vault references included", () => {
    expect(problems(job({ environment: variables(101) }))).toEqual([
      'job "nightly_export", field container.environment: at most 100 environment variables (this has 101)',
    ]);
    expect(problems(job({ environment: { ...variables(100), TOKEN: keyVaultSecret("api-token") } }))).toHaveLength(1);
    expect(Object.keys(parsed(job({ environment: variables(100) })).container.environment)).toHaveLength(100);
  });

  it("refuses a 1 MB environment value, naming the variable and never quoting the value", () => {
    const found = problems(job({ environment: { BIG: "s3cr3t".repeat(200_000) } }));
    expect(found[0]).toBe('job "nightly_export", field container.environment.BIG: an environment value may have at most 32 KiB (this one has 1200000 bytes)');
    expect(found.join("\n")).not.toContain("s3cr3t");
  });

  it("counts a value's size in UTF-8 bytes, as it travels", () => {
    expect(parsed(job({ environment: { EXACT: "x".repeat(32 * 1024) } })).container.environment["EXACT"]).toHaveLength(32 * 1024);
    // 11,000 euro signs are 11,000 characters but 33,000 bytes.
    expect(problems(job({ environment: { EUROS: "€".repeat(11_000) } })).join("\n")).toMatch(/field container\.environment\.EUROS: .*33000 bytes/u);
    expect(parsed(job({ environment: { EMOJI: "😀".repeat(8 * 1024) } })).container.environment["EMOJI"]).toBeDefined();
    expect(problems(job({ environment: { EMOJI: "😀".repeat(8 * 1024 + 1) } }))).toHaveLength(1);
  });

  it("refuses plain variables of more than 128 KiB together", () => {
    expect(problems(job({ environment: variables(5, "x".repeat(30 * 1024)) }))).toEqual([
      'job "nightly_export", field container.environment: the plain environment variables may have at most 128 KiB in all, names included (these have 153610 bytes)',
    ]);
    expect(parsed(job({ environment: variables(4, "x".repeat(30 * 1024)) })).container.environment).toBeDefined();
  });

  it("refuses a command of more than 256 arguments (100,000 were accepted) or more than 64 KiB in all", () => {
    expect(problems(job({ command: Array.from({ length: 100_000 }, () => "a") }))).toEqual([
      'job "nightly_export", field container.command: may have at most 256 arguments',
    ]);
    expect(problems(job({ command: Array.from({ length: 257 }, () => "a") }))).toHaveLength(1);
    expect(parsed(job({ command: Array.from({ length: 256 }, () => "a") })).container.command).toHaveLength(256);
    expect(problems(job({ command: ["sh", "-c", "x".repeat(64 * 1024)] }))).toEqual([
      'job "nightly_export", field container.command: may have at most 64 KiB of arguments in all',
    ]);
    expect(parsed(job({ command: ["x".repeat(64 * 1024)] })).container.command?.[0]).toHaveLength(64 * 1024);
  });
});
