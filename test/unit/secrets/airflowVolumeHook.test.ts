// Airflow's volume hook tests (airflow-operator.md §8.4, tests/unit/microsoft/azure/hooks/test_container_volume.py),
// adapted to where aci-jobs builds an Azure Files volume: the create activity reads the storage account key
// from Key Vault and hands it, with the definition's share, account and readOnly unchanged, to the mapping
// (toContainerGroup in src/aci/containerGroup.ts, whose own tests check the wire body).
import type { ContainerGroup } from "@azure/arm-containerinstance";
import { InvocationContext } from "@azure/functions";
import { describe, expect, it, vi } from "vitest";
import * as containerGroupMapping from "../../../src/aci/containerGroup";
import { createContainerGroupActivities, type ContainerGroupApi } from "../../../src/activities/containerGroup";
import { parseJobDefinition } from "../../../src/jobs/definition";
import { keyVaultSecret, secretKey } from "../../../src/jobs/secretReference";
import { KeyVaultSecretResolver } from "../../../src/secrets";

vi.mock("../../../src/aci/containerGroup", async (importOriginal) => {
  const actual = await importOriginal<typeof containerGroupMapping>();
  return { ...actual, toContainerGroup: vi.fn(actual.toContainerGroup) };
});

/** The container groups the activity handed to ACI. */
const createdGroups: ContainerGroup[] = [];

const aci: ContainerGroupApi = {
  resourceGroup: "rg-aci-jobs-test",
  get: async () => undefined,
  create: async (_name, group) => {
    createdGroups.push(group);
    return { createdNew: true, operationStatus: "Pending" };
  },
  logs: async () => undefined,
  delete: async () => "deleted",
};

function jobWithShare(storageAccountKey: ReturnType<typeof keyVaultSecret>) {
  const parsed = parseJobDefinition(
    {
      id: "volume_hook",
      container: {
        image: "busybox",
        volumes: [{ name: "data-share", azureFile: { shareName: "share", storageAccountName: "storageaccount", storageAccountKey, readOnly: true } }],
        volumeMounts: [{ name: "data-share", mountPath: "/mnt/data" }],
      },
    },
    "volume_hook",
  );
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.job;
}

async function createWithVault(secrets: Record<string, string>, storageAccountKey: ReturnType<typeof keyVaultSecret>) {
  const reads: string[] = [];
  const resolver = new KeyVaultSecretResolver({
    getSecret: async (name) => {
      reads.push(name);
      return { value: secrets[name] };
    },
  });
  const job = jobWithShare(storageAccountKey);
  const mapping = vi.mocked(containerGroupMapping.toContainerGroup);
  mapping.mockClear();
  createdGroups.length = 0;
  const context = new InvocationContext({ functionName: "createContainerGroup", invocationId: "inv-1" });
  const result = await createContainerGroupActivities(aci, resolver).createContainerGroup(
    { jobId: job.id, runId: "run-1", attempt: 1, groupName: "volume-hook-run-1", region: "eastus", container: job.container },
    context,
  );
  return { result, reads, request: mapping.mock.calls[0]![0], created: createdGroups[0] };
}

describe("Airflow volume hook (test_container_volume.py), adapted", () => {
  it("test_get_file_volume: the storage key is the Key Vault secret's value; name, share, account and readOnly pass through", async () => {
    const reference = keyVaultSecret("storage-key");
    const { result, reads, request } = await createWithVault({ "storage-key": "key" }, reference);
    expect(result).toMatchObject({ kind: "created" });
    expect(reads).toEqual(["storage-key"]);
    expect(request.container.volumes).toEqual([
      { name: "data-share", azureFile: { shareName: "share", storageAccountName: "storageaccount", storageAccountKey: reference, readOnly: true } },
    ]);
    expect(request.secrets?.get(secretKey(reference))).toBe("key");
  });

  it("test_get_file_volume_connection_string: the secret's value reaches the request whole, even if it looks like a connection string (we differ on purpose)", async () => {
    // Airflow keeps a connection string in its connection and parses AccountKey=… out of it ("a=b;AccountKey=1"
    // gives "1"). A Key Vault reference names a secret that holds exactly one value, the account key, so aci-jobs
    // parses nothing: what the user stored is what ACI gets (guessing at a format would be fragile anyway, as a
    // base64 account key itself ends in "="). The string therefore reaches the PUT's azureFile unchanged.
    const reference = keyVaultSecret("storage-key");
    const { request, created } = await createWithVault({ "storage-key": "a=b;AccountKey=1" }, reference);
    expect(request.secrets?.get(secretKey(reference))).toBe("a=b;AccountKey=1");
    expect(created?.volumes).toEqual([
      { name: "data-share", azureFile: { shareName: "share", storageAccountName: "storageaccount", storageAccountKey: "a=b;AccountKey=1", readOnly: true } },
    ]);
  });

  // test_get_file_volume_default_azure_credential is adapted in test/integration/secrets.test.ts, where the
  // real DefaultAzureCredential reads the key from the (emulated) vault.
  it("reads a key pinned to a version at that version", async () => {
    const reference = keyVaultSecret("storage-key", "0123456789abcdef0123456789abcdef");
    const resolverReads: Array<{ name: string; version?: string }> = [];
    const resolver = new KeyVaultSecretResolver({
      getSecret: async (name, options) => {
        resolverReads.push({ name, ...(options?.version ? { version: options.version } : {}) });
        return { value: "value" };
      },
    });
    const job = jobWithShare(reference);
    await createContainerGroupActivities(aci, resolver).createContainerGroup(
      { jobId: job.id, runId: "run-1", attempt: 1, groupName: "volume-hook-run-1", region: "eastus", container: job.container },
      new InvocationContext({ functionName: "createContainerGroup", invocationId: "inv-2" }),
    );
    expect(resolverReads).toEqual([{ name: "storage-key", version: "0123456789abcdef0123456789abcdef" }]);
  });
});
