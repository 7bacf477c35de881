// Secrets end to end: runs through the real app (SecretClient, DefaultAzureCredential, the activities
// and orchestrations as registered) against the ACI and Key Vault emulators and the Durable host. A job
// that uses every kind of secret (a secure environment value, a registry password, an Azure Files account
// key, a secret volume file and the Log Analytics workspace key) sends each to ACI in the PUT, where ACI
// needs it, and prints them all; afterwards every orchestration history event, custom status, input,
// output, run result and captured log line is scanned for each value and for its base64 form (the form a
// secret volume file travels in), and so is everything the run left elsewhere: its archived log, its entry
// in the run index, the events sent to Azure Monitor and the notification its webhook received (whose
// URL, a Key Vault secret too, must not appear anywhere either).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureTelemetry } from "../support/telemetry";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhookReceiver";
import { EventType } from "../../dev/durable-host";
import { keyVaultSecret } from "../../src/jobs/secretReference";
import { LOCAL_VAULT_RESOURCE } from "../../dev/keyvault-emulator";
import { MIN_REDACTED_LENGTH } from "../../src/secrets";
import type { RunResult } from "../../src/runs/contracts";
import { useHarness, type Harness } from "./harness";

const VALUES = {
  "db-password": "Pa55w0rd-for-the-database",
  "acr-password": "acr-token-7c1f9e2b",
  "storage-key": "U3RvcmFnZUFjY291bnRLZXk9PQ==",
  "settings-file": '{\n  "apiKey": "sk-live-0d9e8f7a6b5c",\n  "endpoint": "https://api.contoso.example"\n}',
  "workspace-key": "V29ya3NwYWNlS2V5LTEyMzQ1Ng==",
  "share-key": "c2hhcmUta2V5LWZvci1maWxlcw==",
} as const;

const PRINTER = "contoso/report-printer:1.0";
const WORKSPACE_ID = "5a0c9a4b-6f3e-4c1d-9b8a-7e6f5d4c3b2a";

const everyKindOfSecret = {
  id: "every_kind_of_secret",
  resultLogs: "all",
  retries: 0,
  notify: { webhook: keyVaultSecret("team-webhook"), on: ["succeeded", "failed"] },
  container: {
    image: PRINTER,
    environment: { REPORT_DATE: "2026-01-01", DB_PASSWORD: keyVaultSecret("db-password") },
    registryCredentials: [{ server: "contosoregistry.azurecr.io", username: "puller", password: keyVaultSecret("acr-password") }],
    volumes: [
      { name: "reports", azureFile: { shareName: "reports", storageAccountName: "contosoreports", storageAccountKey: keyVaultSecret("storage-key") } },
      { name: "settings", secret: { "settings.json": keyVaultSecret("settings-file") } },
    ],
    volumeMounts: [
      { name: "reports", mountPath: "/mnt/reports" },
      { name: "settings", mountPath: "/mnt/settings", readOnly: true },
    ],
    diagnostics: { logAnalytics: { workspaceId: WORKSPACE_ID, workspaceKey: keyVaultSecret("workspace-key") } },
  },
};

/** Airflow's volume hook case: an Azure Files share whose account key is a Key Vault secret. */
const fileVolume = {
  id: "file_volume",
  container: {
    image: PRINTER,
    volumes: [{ name: "data-share", azureFile: { shareName: "data", storageAccountName: "contosodata", storageAccountKey: keyVaultSecret("share-key"), readOnly: true } }],
    volumeMounts: [{ name: "data-share", mountPath: "/mnt/data", readOnly: true }],
  },
};

const fileVolumeIdentity = {
  id: "file_volume_identity",
  container: {
    ...fileVolume.container,
    volumes: [{ ...fileVolume.container.volumes[0]!, azureFile: { ...fileVolume.container.volumes[0]!.azureFile, storageAccountKey: keyVaultSecret("identity-share-key") } }],
  },
};

const missingSecret = {
  id: "missing_secret",
  retries: 2,
  retryDelay: "1m",
  container: { image: "busybox", command: ["sh", "-c", "echo never runs"], environment: { TOKEN: keyVaultSecret("never-stored") } },
};

const disabledSecret = {
  id: "disabled_secret",
  retries: 2,
  retryDelay: "1m",
  container: { image: "busybox", command: ["sh", "-c", "echo never runs"], environment: { TOKEN: keyVaultSecret("disabled-token") } },
};

const busyVault = {
  id: "busy_vault",
  container: { image: "busybox", command: ["sh", "-c", "echo ran"], environment: { TOKEN: keyVaultSecret("busy-token") } },
};

const throttledVault = {
  id: "throttled_vault",
  container: { image: "busybox", command: ["sh", "-c", "echo ran"], environment: { TOKEN: keyVaultSecret("throttled-token") } },
};

const telemetry = captureTelemetry();
const harness = useHarness([everyKindOfSecret, fileVolume, fileVolumeIdentity, missingSecret, disabledSecret, busyVault, throttledVault], {
  secrets: VALUES,
  storage: true,
  runStateContainer: "secrets-test",
  telemetry,
});
let webhook: WebhookReceiver;
beforeAll(async () => {
  webhook = await startWebhookReceiver();
  harness.app.keyVault!.setSecret("team-webhook", webhook.url);
});
afterAll(async () => webhook.close());

const base64 = (value: string): string => Buffer.from(value).toString("base64");

/**
 * The texts a scan must not find: each value, each line of a multi-line value long enough to redact, and the
 * base64 form of each value (ACI receives a secret volume file base64-encoded, so that form exists too).
 */
const FORBIDDEN = [
  ...new Set(
    Object.values(VALUES).flatMap((value) => [
      value,
      base64(value),
      encodeURIComponent(value),
      ...value.split("\n").map((line) => line.trim()).filter((line) => line.length >= MIN_REDACTED_LENGTH),
    ]),
  ),
  // The registry password as docker's auth field carries it.
  base64(`puller:${VALUES["acr-password"]}`),
];

/** Every place a run's data is kept: each instance's status (input, output, custom status) and history, the run result, the function log. */
async function everythingStored(h: Harness, result: RunResult): Promise<Array<{ where: string; text: string }>> {
  const places: Array<{ where: string; text: string }> = [{ where: "run result", text: JSON.stringify(result) }];
  for (const status of await h.app.host.client.getStatusAll()) {
    places.push({ where: `status of ${status.instanceId}`, text: JSON.stringify(status) });
    places.push({ where: `history of ${status.instanceId}`, text: JSON.stringify(h.app.host.history(status.instanceId)) });
  }
  h.logs.forEach((record, index) => places.push({ where: `log record ${index}`, text: JSON.stringify(record) }));
  for (const attempt of result.attempts) {
    places.push({ where: `archived log of attempt ${attempt.attempt}`, text: (await h.app.services.archive?.read({ runId: result.runId, attempt: attempt.attempt })) ?? "" });
  }
  const listed = await h.app.services.index?.list({ job: result.jobId, limit: 100 });
  places.push({ where: "run index", text: JSON.stringify(listed) });
  telemetry.events.forEach((event, index) => places.push({ where: `event ${index} (${event.name})`, text: JSON.stringify(event) }));
  webhook.received.forEach((body, index) => places.push({ where: `notification ${index}`, text: JSON.stringify(body) }));
  return places;
}

async function leaksIn(h: Harness, result: RunResult): Promise<string[]> {
  const places = await everythingStored(h, result);
  const forbidden = webhook ? [...FORBIDDEN, webhook.url, new URL(webhook.url).pathname] : FORBIDDEN;
  return places.flatMap(({ where, text }) => forbidden.filter((value) => text.includes(JSON.stringify(value).slice(1, -1)) || text.includes(value)).map((value) => `${where} holds ${JSON.stringify(value)}`));
}

/** The secrets the app read from the vault with a token (what the create activity resolved). */
function secretsRead(h: Harness): string[] {
  return [...new Set(h.app.keyVault!.requests.filter((r) => r.authenticated && r.status === 200).map((r) => r.secret!))].sort();
}

describe("a job that uses every kind of secret", () => {
  it("resolves each from Key Vault with the app's identity, redacts what the container prints, and stores no value anywhere", async () => {
    const settingsLines = VALUES["settings-file"].split("\n");
    harness.app.emulator!.setBehaviour(PRINTER, {
      runMs: 150_000,
      logs: [
        { at: 0, line: "starting the nightly report" },
        { at: 1_000, line: `DB_PASSWORD=${VALUES["db-password"]}` },
        { at: 40_000, line: `pulled contosoregistry.azurecr.io with ${VALUES["acr-password"]}` },
        { at: 40_000, line: `mounting //contosoreports.file.core.windows.net/reports key=${VALUES["storage-key"]}` },
        // `cat /mnt/settings/settings.json`: the secret volume's file, the raw value, a line at a time.
        ...settingsLines.map((line) => ({ at: 90_000, line })),
        { at: 120_000, line: `sending logs to workspace ${WORKSPACE_ID} with key ${VALUES["workspace-key"]}` },
        { at: 149_000, line: "report done" },
      ],
    });

    const { runId, result } = await harness.run("every_kind_of_secret");

    expect(result.status, result.detail).toBe("succeeded");
    expect(secretsRead(harness)).toEqual(["acr-password", "db-password", "settings-file", "storage-key", "team-webhook", "workspace-key"]);
    // Each value went to ACI where ACI needs it (the emulator's request log keeps the PUT body as received).
    const put = harness.app.emulator!.requests.find((r) => r.method === "PUT");
    expect(put?.body).toMatchObject({
      properties: {
        containers: [{ properties: { environmentVariables: expect.arrayContaining([{ name: "DB_PASSWORD", secureValue: VALUES["db-password"] }]) } }],
        imageRegistryCredentials: [{ server: "contosoregistry.azurecr.io", username: "puller", password: VALUES["acr-password"] }],
        volumes: [
          { name: "reports", azureFile: { storageAccountKey: VALUES["storage-key"] } },
          { name: "settings", secret: { "settings.json": base64(VALUES["settings-file"]) } },
        ],
        diagnostics: { logAnalytics: { workspaceId: WORKSPACE_ID, workspaceKey: VALUES["workspace-key"] } },
      },
    });
    expect(harness.containerLines(runId)).toEqual([
      "starting the nightly report",
      "DB_PASSWORD=***",
      "pulled contosoregistry.azurecr.io with ***",
      "mounting //contosoreports.file.core.windows.net/reports key=***",
      "{",
      "  ***",
      "  ***",
      "}",
      `sending logs to workspace ${WORKSPACE_ID} with key ***`,
      "report done",
    ]);
    // Lines were streamed while the container ran (observe) and after it stopped (collect): both redact.
    const lineRecords = harness.logs.filter((r) => r.message.includes(`run ${runId} attempt 1] | `));
    expect(new Set(lineRecords.map((r) => r.functionName)).size).toBeGreaterThanOrEqual(2);
    // The scan below covers the archive, the events and the notification: each holds the run's (redacted) lines.
    expect(await harness.app.services.archive!.read({ runId, attempt: 1 })).toContain("DB_PASSWORD=***");
    expect(result.notification).toMatchObject({ delivered: true });
    expect(JSON.stringify(webhook.received)).toContain("report done");
    expect(telemetry.events.map((event) => event.name)).toContain("RunFinished");
    expect(await leaksIn(harness, result)).toEqual([]);
  });

  it("ends the run secretUnavailable, naming the secret, without creating a group and without retrying", async () => {
    const before = harness.app.emulator!.requests.length;
    const { result } = await harness.run("missing_secret");

    expect(result.status).toBe("failed");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ reason: "secretUnavailable", retryable: false, cleanup: "notCreated" });
    expect(result.detail).toMatch(/Key Vault secret "never-stored" could not be read \(SecretNotFound\)/u);
    // Nothing went to ACI at all: no existence check, no PUT, no delete.
    expect(harness.app.emulator!.requests.slice(before)).toEqual([]);
  });

  it("treats a disabled secret the same way (403 SecretDisabled)", async () => {
    harness.app.keyVault!.setSecret("disabled-token", "tok-disabled-123", { enabled: false });
    const { result } = await harness.run("disabled_secret");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ reason: "secretUnavailable", cleanup: "notCreated" });
    expect(result.detail).toContain("(SecretDisabled)");
    expect(await leaksIn(harness, result)).toEqual([]);
  });

  it("retries a vault that is busy for a while (503) and creates the group once the secret is read", async () => {
    harness.app.keyVault!.setSecret("busy-token", "busy-token-value");
    // More failures than the SDK retries inside one activity call, so the activity itself is retried.
    harness.app.keyVault!.injectFault({ status: 503, secret: "busy-token", count: 6 });
    const { result } = await harness.run("busy_vault");
    expect(result.status, result.detail).toBe("succeeded");
    expect(harness.app.keyVault!.requests.filter((r) => r.secret === "busy-token" && r.status === 503)).toHaveLength(6);
  });

  it("retries a throttled vault (429 without Retry-After, as Key Vault sends it) by retrying the activity", async () => {
    harness.app.keyVault!.setSecret("throttled-token", "throttled-token-value");
    harness.app.keyVault!.injectFault({ status: 429, secret: "throttled-token", count: 2 });
    const { runId, result } = await harness.run("throttled_vault");
    expect(result.status, result.detail).toBe("succeeded");
    expect(result.attempts).toHaveLength(1);
    const reads = harness.app.keyVault!.requests.filter((r) => r.secret === "throttled-token" && r.authenticated);
    expect(reads.map((r) => r.status)).toEqual([429, 429, 200]);
    // The SDK does not retry a 429 that names no delay: each 429 failed one execution of the create activity,
    // which the Durable retry policy ran again after its back-off.
    expect(harness.app.host.history(runId).filter((e) => e.EventType === EventType.TaskFailed)).toHaveLength(2);
  });
});

/** ARM text that quotes values, as a refusal may quote the request: raw, base64, `user:password` base64, URL-encoded. */
function quoting(what: string): string {
  const password = VALUES["acr-password"];
  return `${what}: the request held ${VALUES["db-password"]}, ${base64(VALUES["db-password"])}, auth ${base64(`puller:${password}`)} and ?key=${encodeURIComponent(VALUES["storage-key"])}`;
}

describe("ARM's error text, which may quote a value", () => {
  const GROUP_PATH = /\/containerGroups\/[^/]+$/u;

  it("is redacted in a transient fault a retry absorbed (its TaskFailed stays in history) and in a refused delete", async () => {
    harness.app.emulator!.setBehaviour(PRINTER, { logs: ["printing"] });
    harness.app.emulator!.injectFault({ method: "PUT", times: 4, fault: { status: 500, code: "InternalServerError", message: quoting("PUT failed") } });
    harness.app.emulator!.injectFault({ method: "DELETE", times: 1, fault: { status: 403, code: "AuthorizationFailed", message: quoting("DELETE refused") } });
    const { runId, result } = await harness.run("every_kind_of_secret");
    expect(result.status, result.detail).toBe("succeeded");
    // The 500s made one execution of the create fail; its failure is in history, redacted.
    const failures = harness.app.host.history(runId).filter((e) => e.EventType === EventType.TaskFailed);
    expect(failures.length).toBeGreaterThan(0);
    expect(JSON.stringify(failures)).toContain("InternalServerError (HTTP 500): PUT failed: the request held ***");
    expect(result.attempts[0]).toMatchObject({ cleanup: "failed" });
    expect(result.attempts[0]!.cleanupError).toContain("AuthorizationFailed: DELETE refused: the request held ***");
    expect(await leaksIn(harness, result)).toEqual([]);
    await harness.deleteGroup(result.attempts[0]!.groupName);
  });

  it("is redacted when a look is refused for good (403) and when the create gives up after its retries (503)", async () => {
    harness.app.emulator!.setBehaviour(PRINTER, { runMs: 10 * 60_000, logs: ["printing"] });
    const refusedLook = harness.run("every_kind_of_secret");
    await harness.whenRunning("every_kind_of_secret", () =>
      harness.app.emulator!.injectFault({ method: "GET", path: GROUP_PATH, times: 1, fault: { status: 403, code: "AuthorizationFailed", message: quoting("GET refused") } }),
    );
    const refused = (await refusedLook).result;
    expect(refused.attempts[0]).toMatchObject({ outcome: "failed", reason: "activityFailed", cleanup: "deleted" });
    expect(refused.detail).toContain("AuthorizationFailed: GET refused: the request held ***");
    expect(await leaksIn(harness, refused)).toEqual([]);

    harness.app.emulator!.injectFault({ method: "PUT", times: 24, fault: { status: 503, code: "ServiceUnavailable", message: quoting("PUT failed") } });
    const { result } = await harness.run("every_kind_of_secret");
    expect(result.status).toBe("failed");
    expect(result.detail).toContain("ServiceUnavailable (HTTP 503): PUT failed: the request held ***");
    expect(await leaksIn(harness, result)).toEqual([]);
  });
});

// Airflow's volume hook tests (airflow-operator.md §8.4, tests/unit/microsoft/azure/hooks/test_container_volume.py),
// adapted: the storage account key is a Key Vault secret read with the app's identity. That the share's
// name, account and readOnly reach the group unchanged is asserted where the activity hands them to the
// mapping (test/unit/secrets/airflowVolumeHook.test.ts) and on the wire by the mapping's own tests.
describe("Airflow volume hook, adapted", () => {
  it("test_get_file_volume: the storage key comes from Key Vault and never from settings or history", async () => {
    harness.app.emulator!.setBehaviour(PRINTER, { logs: ["files listed"] });
    const { result } = await harness.run("file_volume");
    expect(result.status, result.detail).toBe("succeeded");
    expect(harness.app.keyVault!.requests.filter((r) => r.secret === "share-key" && r.authenticated).map((r) => r.status)).toEqual([200]);
    expect(await leaksIn(harness, result)).toEqual([]);
  });

  it("test_get_file_volume_default_azure_credential: the key is read with DefaultAzureCredential, the app's managed identity, for the vault's audience", async () => {
    // Airflow lists the account's keys through the Storage management API with DefaultAzureCredential;
    // aci-jobs never needs that right: the same credential reads the key from the vault, with a token for
    // the audience the vault's challenge named (the challenge itself: test/keyvault-emulator).
    harness.app.keyVault!.setSecret("identity-share-key", "aWRlbnRpdHktc2hhcmUta2V5");
    harness.app.emulator!.setBehaviour(PRINTER, { logs: ["files listed"] });
    const { result } = await harness.run("file_volume_identity");
    expect(result.status, result.detail).toBe("succeeded");
    const reads = harness.app.keyVault!.requests.filter((r) => r.secret === "identity-share-key" && r.status === 200);
    expect(reads.map((r) => r.audience)).toEqual([LOCAL_VAULT_RESOURCE]);
  });
});
