/**
 * runJob with fake activities in the in-process Durable host (virtual time): outcomes the real activities
 * on this branch cannot produce yet, driven through the real orchestration and its replay.
 */
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../dev/clock";
import { DurableHost } from "../../../dev/durable-host";
import { Activities, type CreateContainerGroupResult } from "../../../src/activities/contracts";
import { parseJobDefinition, type JobSpec } from "../../../src/jobs/definition";
import { runJob } from "../../../src/orchestrations/runJob";
import { watchContainerGroup } from "../../../src/orchestrations/watchContainerGroup";
import { Orchestrations, type RunInput, type RunResult } from "../../../src/runs/contracts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function job(definition: Record<string, unknown>): JobSpec {
  const parsed = parseJobDefinition(definition, String(definition.id));
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.job;
}

async function run(input: RunInput, createResult: CreateContainerGroupResult): Promise<{ result: RunResult; calls: string[] }> {
  const host = new DurableHost({ clock: new VirtualClock(T0) });
  const calls: string[] = [];
  host.registerOrchestrator(Orchestrations.runJob, runJob);
  host.registerOrchestrator(Orchestrations.watchContainerGroup, watchContainerGroup);
  host.registerActivity(Activities.createContainerGroup, async () => {
    calls.push(Activities.createContainerGroup);
    return createResult;
  });
  for (const name of [Activities.deleteContainerGroup, Activities.collectContainerLogs, Activities.observeContainerGroup, Activities.releaseRunSlot]) {
    host.registerActivity(name, async () => {
      calls.push(name);
      throw new Error(`${name} must not be called`);
    });
  }
  await host.client.startNew(Orchestrations.runJob, { instanceId: input.runId, input });
  const status = await host.waitForCompletion(input.runId);
  host.dispose();
  return { result: status.output as RunResult, calls };
}

const secretMissing: CreateContainerGroupResult = {
  kind: "secretUnavailable",
  secret: "db-password",
  code: "SecretNotFound",
  message: "A secret with (name/id) db-password was not found in this key vault.",
};

describe("runJob: a Key Vault reference that cannot be resolved", () => {
  it("ends the run secretUnavailable at once, without retrying, deleting or a failure class; the detail names the secret", async () => {
    const spec = job({ id: "needs_secret", retries: 3, retryDelay: "1m", container: { image: "hello-world", environment: { DB_PASSWORD: { keyVaultSecret: "db-password" } } } });
    const { result, calls } = await run({ runId: "needs_secret-1", job: spec, region: "eastus", trigger: { kind: "cli" }, holdsRunSlot: false }, secretMissing);
    expect(calls).toEqual([Activities.createContainerGroup]);
    expect(result.status).toBe("failed");
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ reason: "secretUnavailable", retryable: false, cleanup: "notCreated" });
    expect(result.attempts[0]!.failureClass).toBeUndefined();
    expect(result.detail).toMatch(/Key Vault secret "db-password" could not be read \(SecretNotFound\)/u);
  });
});

describe("runJob: the run result", () => {
  it("carries the run's overrides for the record", async () => {
    const spec = job({ id: "overridden", container: { image: "hello-world" } });
    const overrides = { command: ["echo", "hi"], imageTag: "v2" };
    const { result } = await run(
      { runId: "overridden-1", job: spec, region: "eastus", trigger: { kind: "http" }, holdsRunSlot: false, overrides },
      { kind: "rejected", code: "InvalidRequestContent", message: "denied" },
    );
    expect(result.overrides).toEqual(overrides);
    expect(result.attempts[0]).toMatchObject({ reason: "rejected", retryable: false });
  });
});
