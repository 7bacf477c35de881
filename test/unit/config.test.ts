import { describe, expect, it } from "vitest";
import { ConfigError, SETTINGS, checkSettingsForJobs, loadConfig, deploymentName } from "../../src/config";

const VALID = {
  AZURE_SUBSCRIPTION_ID: "12345678-ABCD-4ef0-9abc-1234567890AB",
  ACI_RESOURCE_GROUP: "rg-aci-jobs",
  ACI_REGION: "eastus",
} as const;

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig: a valid environment", () => {
  it("reads the three required settings and lower-cases the subscription id", () => {
    const config = loadConfig(VALID);
    expect(config.subscriptionId).toBe("12345678-abcd-4ef0-9abc-1234567890ab");
    expect(config.resourceGroup).toBe("rg-aci-jobs");
    expect(config.defaultRegion).toBe("eastus");
  });

  it("defaults to the public cloud's ARM endpoint and audience and to no run-state storage", () => {
    const config = loadConfig(VALID);
    expect(config.arm).toEqual({ endpoint: "https://management.azure.com", audience: "https://management.azure.com" });
    expect(config.runStateStorage).toBeUndefined();
  });

  it("returns a frozen object, so nothing changes settings after startup", () => {
    const config = loadConfig(VALID);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.arm)).toBe(true);
  });

  it("ignores environment variables it does not own", () => {
    expect(() => loadConfig({ ...VALID, PATH: "/usr/bin", FUNCTIONS_WORKER_RUNTIME: "node" })).not.toThrow();
  });

  it("trims surrounding spaces from values", () => {
    expect(loadConfig({ ...VALID, ACI_RESOURCE_GROUP: "  rg-aci-jobs " }).resourceGroup).toBe("rg-aci-jobs");
  });
});

describe("loadConfig: ARM endpoint and audience", () => {
  it("strips trailing slashes from the endpoint and takes the audience from its origin", () => {
    const config = loadConfig({ ...VALID, ACI_ARM_ENDPOINT: "https://localhost:8443/arm/" });
    expect(config.arm).toEqual({ endpoint: "https://localhost:8443/arm", audience: "https://localhost:8443" });
  });

  it("uses an explicit audience, without its trailing slash (the emulator's case)", () => {
    const config = loadConfig({ ...VALID, ACI_ARM_ENDPOINT: "https://127.0.0.1:8443", ACI_ARM_AUDIENCE: "https://management.azure.com/" });
    expect(config.arm).toEqual({ endpoint: "https://127.0.0.1:8443", audience: "https://management.azure.com" });
  });

  it("follows a sovereign cloud's endpoint for the audience", () => {
    expect(loadConfig({ ...VALID, ACI_ARM_ENDPOINT: "https://management.usgovcloudapi.net/" }).arm.audience).toBe(
      "https://management.usgovcloudapi.net",
    );
  });

  it("rejects an endpoint or audience that is not https", () => {
    expect(problemsOf({ ...VALID, ACI_ARM_ENDPOINT: "http://management.azure.com" })).toEqual(["ACI_ARM_ENDPOINT must be an https URL"]);
    expect(problemsOf({ ...VALID, ACI_ARM_AUDIENCE: "not a url" })).toEqual(["ACI_ARM_AUDIENCE must be an https URL"]);
  });
});

describe("loadConfig: run-state storage", () => {
  it("uses a connection string when only AzureWebJobsStorage is set", () => {
    expect(loadConfig({ ...VALID, AzureWebJobsStorage: "UseDevelopmentStorage=true" }).runStateStorage).toEqual({
      kind: "connectionString",
      connectionString: "UseDevelopmentStorage=true",
    });
  });

  it("prefers the identity-based blob endpoint when both are set", () => {
    const config = loadConfig({
      ...VALID,
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      AzureWebJobsStorage__blobServiceUri: "https://account.blob.core.windows.net",
    });
    expect(config.runStateStorage).toEqual({ kind: "identity", blobServiceUri: "https://account.blob.core.windows.net" });
  });

  it("treats an empty connection string as no storage", () => {
    expect(loadConfig({ ...VALID, AzureWebJobsStorage: "  " }).runStateStorage).toBeUndefined();
  });

  it("rejects a blob endpoint that is not https", () => {
    expect(problemsOf({ ...VALID, AzureWebJobsStorage__blobServiceUri: "http://account.blob.core.windows.net" })).toEqual([
      "AzureWebJobsStorage__blobServiceUri must be an https URL",
    ]);
  });
});

describe("loadConfig: problems", () => {
  it("names every missing required setting in one error", () => {
    const problems = problemsOf({});
    expect(problems).toEqual(["AZURE_SUBSCRIPTION_ID is not set", "ACI_RESOURCE_GROUP is not set", "ACI_REGION is not set"]);
  });

  it("formats the error message as a list under 'Invalid configuration'", () => {
    try {
      loadConfig({ ...VALID, ACI_REGION: undefined });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).name).toBe("ConfigError");
      expect((error as Error).message).toBe("Invalid configuration:\n  - ACI_REGION is not set");
    }
  });

  // A blank entry in local.settings.json must not be read as a value: it counts as not set, once.
  it("reports a blank required setting as not set, and only once", () => {
    expect(problemsOf({ ...VALID, ACI_REGION: " " })).toEqual(["ACI_REGION is not set"]);
  });

  it("treats a blank optional setting as absent, so its default applies", () => {
    expect(loadConfig({ ...VALID, ACI_ARM_ENDPOINT: "", ACI_ARM_AUDIENCE: "" }).arm).toEqual({
      endpoint: "https://management.azure.com",
      audience: "https://management.azure.com",
    });
  });

  it("rejects a subscription id that is not a GUID", () => {
    expect(problemsOf({ ...VALID, AZURE_SUBSCRIPTION_ID: "my-subscription" })).toEqual([
      "AZURE_SUBSCRIPTION_ID must be a subscription id (a GUID)",
    ]);
  });

  it("rejects a region with spaces or capitals", () => {
    expect(problemsOf({ ...VALID, ACI_REGION: "East US" })).toEqual([
      "ACI_REGION must be a region name such as eastus (lowercase, no spaces)",
    ]);
  });

  it("applies Azure's resource group rules: up to 90 characters, parentheses allowed, no final period", () => {
    expect(loadConfig({ ...VALID, ACI_RESOURCE_GROUP: "a".repeat(90) }).resourceGroup).toHaveLength(90);
    expect(loadConfig({ ...VALID, ACI_RESOURCE_GROUP: "rg.(jobs)_1-x" }).resourceGroup).toBe("rg.(jobs)_1-x");
    for (const name of ["a".repeat(91), "rg.", "rg/jobs", "rg jobs"]) {
      expect(problemsOf({ ...VALID, ACI_RESOURCE_GROUP: name }), name).toEqual(["ACI_RESOURCE_GROUP is not a valid resource group name"]);
    }
  });

  it("lists problems of different settings together", () => {
    const problems = problemsOf({ AZURE_SUBSCRIPTION_ID: "nope", ACI_RESOURCE_GROUP: "rg.", ACI_REGION: "East US", ACI_ARM_ENDPOINT: "ftp://x" });
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(" ")[0])).toEqual(["AZURE_SUBSCRIPTION_ID", "ACI_RESOURCE_GROUP", "ACI_REGION", "ACI_ARM_ENDPOINT"]);
  });
});

describe("loadConfig: the app's Key Vault", () => {
  it("is optional and absent by default", () => {
    expect(loadConfig(VALID).keyVaultUri).toBeUndefined();
  });

  it("reads KEY_VAULT_URI as given (a blank value counts as not set)", () => {
    expect(loadConfig({ ...VALID, KEY_VAULT_URI: " https://kv-aci-jobs.vault.azure.net/ " }).keyVaultUri).toBe("https://kv-aci-jobs.vault.azure.net/");
    expect(loadConfig({ ...VALID, KEY_VAULT_URI: "  " }).keyVaultUri).toBeUndefined();
  });

  it("rejects a vault URI that is not https", () => {
    expect(problemsOf({ ...VALID, KEY_VAULT_URI: "http://kv-aci-jobs.vault.azure.net/" })).toEqual(["KEY_VAULT_URI must be an https URL"]);
    expect(problemsOf({ ...VALID, KEY_VAULT_URI: "kv-aci-jobs" })).toEqual(["KEY_VAULT_URI must be an https URL"]);
  });
});

describe("checkSettingsForJobs", () => {
  it("fails at startup, naming the jobs, when a job references a secret and KEY_VAULT_URI is not set", () => {
    const config = loadConfig(VALID);
    let thrown: unknown;
    try {
      checkSettingsForJobs(config, ["nightly_export", "billing"]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const { problems, message } = thrown as ConfigError;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^KEY_VAULT_URI is not set, but jobs "nightly_export", "billing" reference Key Vault secrets/u);
    expect(message).toContain("Invalid configuration");
  });

  it("accepts a missing vault when no job uses secrets, and any vault when one is set", () => {
    expect(() => checkSettingsForJobs(loadConfig(VALID), [])).not.toThrow();
    expect(() => checkSettingsForJobs(loadConfig({ ...VALID, KEY_VAULT_URI: "https://kv-aci-jobs.vault.azure.net/" }), ["billing"])).not.toThrow();
  });
});

describe("SETTINGS", () => {
  it("lists each setting once, the three required ones marked required", () => {
    const names = SETTINGS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(SETTINGS.filter((s) => s.required).map((s) => s.name)).toEqual(["AZURE_SUBSCRIPTION_ID", "ACI_RESOURCE_GROUP", "ACI_REGION"]);
  });

  it("covers every setting loadConfig reads: each optional one changes the result when set", () => {
    const base = loadConfig(VALID);
    const samples: Record<string, string> = {
      ACI_ARM_ENDPOINT: "https://localhost:8443",
      ACI_ARM_AUDIENCE: "https://example.org",
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      AzureWebJobsStorage__blobServiceUri: "https://account.blob.core.windows.net",
      KEY_VAULT_URI: "https://kv-aci-jobs.vault.azure.net/",
      RUN_RETENTION_DAYS: "7",
      WEBSITE_HOSTNAME: "func-abc123.azurewebsites.net",
      APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/",
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD;ClientId=00000000-0000-0000-0000-000000000002",
    };
    for (const setting of SETTINGS.filter((s) => !s.required)) {
      const value = samples[setting.name];
      expect(value, `a sample value for ${setting.name}`).toBeDefined();
      expect(loadConfig({ ...VALID, [setting.name]: value }), setting.name).not.toEqual(base);
    }
  });
});

describe("deploymentName", () => {
  it("is the storage account in Azure, however the storage is configured", () => {
    expect(deploymentName({ kind: "identity", blobServiceUri: "https://stacijobsx7k2.blob.core.windows.net" }, "vm1")).toBe("stacijobsx7k2");
    expect(
      deploymentName({ kind: "connectionString", connectionString: "DefaultEndpointsProtocol=https;AccountName=stjobs;AccountKey=a2V5;EndpointSuffix=core.windows.net" }, "vm1"),
    ).toBe("stjobs");
    expect(deploymentName({ kind: "connectionString", connectionString: "BlobEndpoint=https://stsas.blob.core.windows.net/;SharedAccessSignature=sv=2024" }, "vm1")).toBe("stsas");
  });

  it("adds the machine to Azurite's shared account, so two developers' hosts never judge each other's groups", () => {
    expect(deploymentName({ kind: "connectionString", connectionString: "UseDevelopmentStorage=true" }, "alice-laptop")).toBe("devstoreaccount1@alice-laptop");
    expect(deploymentName({ kind: "identity", blobServiceUri: "http://127.0.0.1:10000/devstoreaccount1" }, "bob")).toBe("devstoreaccount1@bob");
    expect(
      deploymentName({ kind: "connectionString", connectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:41000/devstoreaccount1;" }, "ci"),
    ).toBe("devstoreaccount1@ci");
  });

  it("is unknown when nothing names the account, and then nothing is tagged or swept", () => {
    expect(deploymentName({ kind: "connectionString", connectionString: "SharedAccessSignature=sv=2024" }, "vm1")).toBeUndefined();
  });
});
