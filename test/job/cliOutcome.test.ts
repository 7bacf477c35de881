/**
 * How `npm run job` ends a finished run (issue 10): a run that ended because the identity could not get
 * a token or was refused exits 2 with a hint saying what to do; a missing `--secret` gets a hint too.
 */
import { describe, expect, it } from "vitest";
import { judgeOutcome, type OutcomeContext } from "../../dev/job/judgeOutcome";
import type { AttemptRecord, RunResult } from "../../src/runs/contracts";

const azure: OutcomeContext = {
  emulated: false,
  subscriptionId: "1111-2222",
  resourceGroup: "rg-jobs",
  keyVaultUri: "https://kv-jobs.vault.azure.net/",
  missingSecrets: [],
  jobId: "nightly",
};

function ended(status: RunResult["status"], reason?: string, detail = "what happened"): RunResult {
  const attempt = { attempt: 1, outcome: status === "succeeded" ? "succeeded" : "failed", ...(reason ? { reason } : {}), detail } as unknown as AttemptRecord;
  return { runId: "r", jobId: "nightly", status, detail, trigger: { kind: "cli" }, startedAt: "", finishedAt: "", attempts: [attempt] } as RunResult;
}

describe("exit codes", () => {
  it.each([
    ["succeeded", undefined, 0],
    ["failed", "exitCode", 1],
    ["failed", "imagePull", 1],
    ["failed", "secretUnavailable", 1],
    ["timedOut", "timedOut", 1],
    ["failed", "credentialUnavailable", 2],
    ["failed", "forbidden", 2],
  ] as const)("%s (%s) exits %i", (status, reason, exitCode) => {
    expect(judgeOutcome(ended(status, reason), azure).exitCode).toBe(exitCode);
  });
});

describe("hints", () => {
  it("tells a person without a credential to sign in, or how to use a service principal", () => {
    const { hints } = judgeOutcome(ended("failed", "credentialUnavailable"), azure);
    expect(hints).toEqual([expect.stringContaining("run `az login` (and `az account set --subscription 1111-2222`)")]);
    expect(hints[0]).toContain("AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET for a service principal");
  });

  it("names the role a refused identity needs and the resource group it needs it on", () => {
    const { hints } = judgeOutcome(ended("failed", "forbidden", "AuthorizationFailed: does not have authorization to perform action 'Microsoft.ContainerInstance/containerGroups/write'"), azure);
    expect(hints[0]).toContain('"aci-jobs container group runner" role');
    expect(hints[0]).toContain("/subscriptions/1111-2222/resourceGroups/rg-jobs");
    expect(hints[0]).toContain("docs/deploy.md#permission-model");
  });

  it("names Key Vault Secrets User on the vault when the vault refused", () => {
    const { hints } = judgeOutcome(ended("failed", "forbidden", "Key Vault secret db could not be read (Forbidden)"), azure);
    expect(hints[0]).toContain("Key Vault Secrets User on the vault https://kv-jobs.vault.azure.net/");
  });

  it("suggests --secret for the secrets the command line did not give, on the emulator only", () => {
    const emulated = { ...azure, emulated: true, missingSecrets: ["db-password", "api-token"] };
    expect(judgeOutcome(ended("failed", "secretUnavailable"), emulated).hints).toEqual([
      "The emulated Key Vault holds only the secrets given with --secret: add --secret db-password=<value> --secret api-token=<value> to the command.",
    ]);
    expect(judgeOutcome(ended("failed", "secretUnavailable"), azure).hints).toEqual([]);
  });

  it("has nothing to add to a run that succeeded or failed in its container", () => {
    expect(judgeOutcome(ended("succeeded"), azure).hints).toEqual([]);
    expect(judgeOutcome(ended("failed", "exitCode"), azure).hints).toEqual([]);
  });
});
