/**
 * Airflow's hook tests (airflow-operator.md §8.2, tests/unit/microsoft/azure/hooks/test_container_instance.py),
 * adapted to aci-jobs' `AciClient` against the emulator: real SDK, real credential, real HTTP. Each test is named
 * after the Airflow case it adapts; where aci-jobs behaves differently on purpose, the test asserts ours and says why.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../dev/clock";
import type { AciEmulator } from "../../dev/aci-emulator";
import { AciClient, AciError } from "../../src/aci/client";
import { loadConfig } from "../../src/config";
import { groupPath, jobGroup, RESOURCE_GROUP, SUBSCRIPTION_ID, useEmulator } from "./sdkClient";

const clock = new VirtualClock(Date.parse("2026-11-28T08:00:00.000Z"));
let emulator: AciEmulator;
useEmulator(clock, (started) => {
  emulator = started; // useEmulator also points IDENTITY_ENDPOINT / IDENTITY_HEADER at the emulator's token endpoint
});

const fast = { retryDelayInMs: 20, maxRetryDelayInMs: 50 };

/** The production wiring: DefaultAzureCredential, which finds the emulator's managed-identity endpoint. */
function aciClient(credential: TokenCredential = new DefaultAzureCredential(), audience = "https://management.azure.com"): AciClient {
  return new AciClient({ subscriptionId: SUBSCRIPTION_ID, resourceGroup: RESOURCE_GROUP, endpoint: emulator.url, audience, credential, retry: fast });
}

/** A credential that records the scopes it is asked for and hands out an opaque token (which ARM routes accept). */
class RecordingCredential implements TokenCredential {
  readonly scopes: string[][] = [];
  getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopes.push(typeof scopes === "string" ? [scopes] : [...scopes]);
    return Promise.resolve({ token: "opaque-token", expiresOnTimestamp: Date.now() + 3_600_000 });
  }
}

const requestsTo = (method: string, name: string) => emulator.requests.filter((request) => request.method === method && request.path === groupPath(name));

async function createFinished(name: string, command = "echo done"): Promise<void> {
  await aciClient().create(name, jobGroup("busybox", { command: ["sh", "-c", command], containerName: name }));
  clock.advanceBy(10_000);
}

/** Log text without the RFC 3339 prefix `timestamps=true` puts on each line, split the way Airflow splits it. */
function logLines(content: string | undefined): string[] {
  return (content ?? "").split(/(?<=\n)/u).filter((line) => line !== "").map((line) => line.replace(/^\S+ /u, ""));
}

describe("TestAzureContainerInstanceHook", () => {
  it("test_create_or_update: one PUT of the group to the resource group and name", async () => {
    const group = jobGroup("hello-world");
    const result = await aciClient().create("container-name", group);
    expect(result).toMatchObject({ createdNew: true });
    expect(requestsTo("PUT", "container-name")).toHaveLength(1);
    expect(requestsTo("PUT", "container-name")[0]?.body).toMatchObject({ location: group.location, properties: { osType: "Linux", restartPolicy: "Never" } });
    await aciClient().delete("container-name");
  });

  it("test_get_state: one GET, which returns the group", async () => {
    await aciClient().create("container-name", jobGroup("hello-world"));
    const before = requestsTo("GET", "container-name").length;
    const group = await aciClient().get("container-name");
    expect(group?.name).toBe("container-name");
    expect(requestsTo("GET", "container-name")).toHaveLength(before + 1);
    await aciClient().delete("container-name");
  });

  it("test_get_logs[content]: three lines come back as three lines", async () => {
    await createFinished("container-name", "echo 'log line 1'; echo 'log line 2'; echo 'log line 3'");
    const content = await aciClient().logs("container-name", "container-name");
    expect(logLines(content)).toEqual(["log line 1\n", "log line 2\n", "log line 3\n"]);
    await aciClient().delete("container-name");
  });

  it("test_get_logs[None]: null content is no lines", async () => {
    // Airflow's sync hook returns [] for None. AciClient returns "" (no output), and keeps `undefined` for
    // "no logs yet" (ContainerLogNotAvailable), so the caller can tell the two apart.
    await createFinished("container-name");
    emulator.injectFault({ method: "GET", path: "/logs", fault: { kind: "body", body: { content: null } } });
    const content = await aciClient().logs("container-name", "container-name");
    expect(content).toBe("");
    expect(logLines(content)).toEqual([]);
    await aciClient().delete("container-name");
  });

  it("test_delete: one DELETE of the resource group and name", async () => {
    await aciClient().create("container-name", jobGroup("hello-world"));
    expect(await aciClient().delete("container-name")).toBe("deleted");
    expect(requestsTo("DELETE", "container-name")).toHaveLength(1);
    expect(emulator.listGroups()).toEqual([]);
  });

  it("test_exists_with_existing: get returns the group (Airflow's exists = True), with one GET", async () => {
    await aciClient().create("container-name", jobGroup("hello-world"));
    const before = requestsTo("GET", "container-name").length;
    expect(await aciClient().get("container-name")).toBeDefined();
    expect(requestsTo("GET", "container-name")).toHaveLength(before + 1);
    await aciClient().delete("container-name");
  });

  it("test_exists_with_not_existing: a 404 ResourceNotFound is undefined (Airflow's exists = False)", async () => {
    expect(await aciClient().get("container-name")).toBeUndefined();
    expect(requestsTo("GET", "container-name")).toEqual([expect.objectContaining({ status: 404 })]);
  });

  it("test_exists_unexpected_exception: any other error propagates", async () => {
    emulator.injectFault({ method: "GET", fault: { status: 403, code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.ContainerInstance/containerGroups/read'." } });
    await expect(aciClient().get("container-name")).rejects.toMatchObject({ name: "AciError", code: "AuthorizationFailed", transient: false, status: 403 });
    // Airflow treats every ResourceNotFoundError as "does not exist". aci-jobs does not for a missing resource
    // group: that is a wrong setting, and reading it as "already gone" would hide it.
    emulator.injectFault({ method: "GET", fault: { status: 404, code: "ResourceGroupNotFound", message: "Resource group 'jobs-rg' could not be found." } });
    await expect(aciClient().get("container-name")).rejects.toMatchObject({ code: "ResourceGroupNotFound", transient: false });
  });

  it("test_connection_success: an authenticated read answers (aci-jobs checks its settings at startup, not with a test call)", async () => {
    // aci-jobs has no test_connection; the same proof is a GET that ARM answers, here a 404 for a name nobody uses.
    await expect(aciClient().get("connection-check")).resolves.toBeUndefined();
  });

  it("test_connection_failure: a credential that cannot authenticate surfaces its message", async () => {
    const failing: TokenCredential = { getToken: () => Promise.reject(new Error("Authentication failed.")) };
    const error = await aciClient(failing).get("connection-check").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AciError);
    expect((error as AciError).message).toContain("Authentication failed.");
    expect(emulator.requests).toEqual([]); // nothing reached ARM without a token
  });
});

describe("TestAzureContainerInstanceHookWithoutSetupCredential", () => {
  it("test_get_conn_fallback_to_default_azure_credential: DefaultAzureCredential through the managed-identity endpoint, ARM scope", async () => {
    // Airflow falls back to DefaultAzureCredential when the connection has no secret; aci-jobs always uses it
    // (app.ts), here finding the emulator's App Service managed-identity endpoint. The emulator rejects a JWT for
    // any audience but ARM's, so a successful call shows the scope was https://management.azure.com/.default.
    await expect(aciClient(new DefaultAzureCredential()).get("container-name")).resolves.toBeUndefined();
    expect(emulator.requests).toEqual([expect.objectContaining({ method: "GET", status: 404 })]);
  });
});

describe("TestAzureContainerInstanceHookCloudEnvironment", () => {
  const base = { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION_ID, ACI_RESOURCE_GROUP: RESOURCE_GROUP, ACI_REGION: "eastus" };
  const clouds = [
    { cloud: "default_public_cloud", env: {}, endpoint: "https://management.azure.com", audience: "https://management.azure.com" },
    { cloud: "explicit_public_cloud", env: { ACI_ARM_ENDPOINT: "https://management.azure.com/" }, endpoint: "https://management.azure.com", audience: "https://management.azure.com" },
    { cloud: "us_government", env: { ACI_ARM_ENDPOINT: "https://management.usgovcloudapi.net" }, endpoint: "https://management.usgovcloudapi.net", audience: "https://management.usgovcloudapi.net" },
    { cloud: "china_cloud", env: { ACI_ARM_ENDPOINT: "https://management.chinacloudapi.cn" }, endpoint: "https://management.chinacloudapi.cn", audience: "https://management.chinacloudapi.cn" },
  ];

  for (const { cloud, env, endpoint, audience } of clouds) {
    it(`test_get_conn_cloud_environment[${cloud}]: ACI_ARM_ENDPOINT sets the base URL and the token scope`, async () => {
      // Airflow maps a cloud_environment name to authority, base URL and scopes; aci-jobs takes the ARM endpoint
      // (and, for an emulator, ACI_ARM_AUDIENCE), and the credential's own settings pick the authority.
      const config = loadConfig({ ...base, ...env });
      expect(config.arm).toEqual({ endpoint, audience });
      // The calls go to the emulator; what matters is the scope the client asks the credential for.
      const credential = new RecordingCredential();
      await aciClient(credential, config.arm.audience).get("container-name");
      expect(credential.scopes).toEqual([[`${audience}/.default`]]);
    });
  }
});

describe("TestAzureContainerInstanceAsyncHook", () => {
  it("test_get_async_conn_with_client_secret: any TokenCredential is used for the ARM scope; no client secret in settings", async () => {
    // Airflow builds a ClientSecretCredential from the connection's password. aci-jobs keeps no secret in its
    // settings (issue 4): a service principal goes through DefaultAzureCredential's environment credential.
    const credential = new RecordingCredential();
    await aciClient(credential).get("container-name");
    expect(credential.scopes).toEqual([["https://management.azure.com/.default"]]);
  });

  it("test_get_async_conn_with_default_credential: DefaultAzureCredential without a client id works", async () => {
    await expect(aciClient(new DefaultAzureCredential()).get("container-name")).resolves.toBeUndefined();
  });

  it("test_get_async_conn_closes_client_and_credential: one client serves call after call, with nothing to close", async () => {
    // The async hook opens and closes a client per use. AciClient is built once at startup (app.ts) and holds
    // only the SDK's pooled HTTP client, so there is no per-call connection to leak.
    const client = aciClient();
    await client.create("container-name", jobGroup("hello-world"));
    for (let call = 0; call < 5; call++) expect(await client.get("container-name")).toBeDefined();
    expect(await client.delete("container-name")).toBe("deleted");
  });

  it("test_get_async_conn_skips_credential_close_when_not_closeable: a credential without close() works", async () => {
    const credential = new RecordingCredential(); // has no close()
    expect("close" in credential).toBe(false);
    await expect(aciClient(credential).get("container-name")).resolves.toBeUndefined();
  });

  it("test_get_async_conn_closes_on_exception: an error in one call propagates and the client still works", async () => {
    const client = aciClient();
    emulator.injectFault({ method: "GET", times: 4, fault: { status: 500 } }); // the first try and the SDK's 3 retries
    await expect(client.get("container-name")).rejects.toMatchObject({ code: "InternalServerError", transient: true });
    await expect(client.get("container-name")).resolves.toBeUndefined();
  });

  it("test_get_state (async): get('my-container') returns the group", async () => {
    await aciClient().create("my-container", jobGroup("hello-world"));
    expect((await aciClient().get("my-container"))?.name).toBe("my-container");
    await aciClient().delete("my-container");
  });

  it("test_get_logs (async): the container's lines, all of them", async () => {
    // Airflow's async hook asks for tail=1000; AciClient reads the whole log with timestamps, because the run
    // de-duplicates lines by timestamp and ACI keeps at most 1,000 lines of a stopped container anyway (§7).
    await createFinished("my-container", "echo line1; echo line2");
    expect(logLines(await aciClient().logs("my-container", "my-container"))).toEqual(["line1\n", "line2\n"]);
    await aciClient().delete("my-container");
  });

  it("test_get_logs_returns_none_sentinel_when_content_is_none (async): null content is '' in aci-jobs", async () => {
    // Airflow's [None] sentinel ends its log loop (issue #34516, where a null crashed the logger and the task
    // looped forever). aci-jobs returns "" — no output — and its watch never depends on log content to stop.
    await createFinished("my-container");
    emulator.injectFault({ method: "GET", path: "/logs", fault: { kind: "body", body: { content: null } } });
    await expect(aciClient().logs("my-container", "my-container")).resolves.toBe("");
    await aciClient().delete("my-container");
  });

  it("test_delete (async): one DELETE of the resource group and name", async () => {
    await aciClient().create("my-container", jobGroup("hello-world"));
    await aciClient().delete("my-container");
    expect(requestsTo("DELETE", "my-container")).toHaveLength(1);
  });
});
