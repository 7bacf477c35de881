import type { ContainerGroup } from "@azure/arm-containerinstance";
import { InvocationContext, type LogLevel } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { AciError, type CreateResult } from "../../../src/aci/client";
import { OWNERSHIP_TAGS, toContainerGroup } from "../../../src/aci/containerGroup";
import { START_OF_LOG, type LogCursor } from "../../../src/aci/logs";
import { createContainerGroupActivities, type ContainerGroupApi } from "../../../src/activities/containerGroup";
import type { AttemptRef, CreateContainerGroupInput } from "../../../src/activities/contracts";
import { parseJobDefinition, type ContainerSpec } from "../../../src/jobs/definition";
import { keyVaultSecret, secretKey, type SecretReference } from "../../../src/jobs/secretReference";
import { SecretStoreUnavailableError, type SecretResolution, type SecretResolver } from "../../../src/secrets";

type Call =
  | { method: "get" | "delete"; name: string }
  | { method: "create"; name: string; group: ContainerGroup }
  | { method: "logs"; groupName: string; containerName: string; tail: number | undefined };

/** A hand-written ACI: groups in a map, log snapshots in a queue (the last one repeats), every call recorded. */
class FakeAci implements ContainerGroupApi {
  readonly resourceGroup = "rg-aci-jobs-test";
  readonly calls: Call[] = [];
  readonly groups = new Map<string, ContainerGroup>();
  logSnapshots: Array<string | undefined> = [];
  createResult: CreateResult = { createdNew: true, operationStatus: "Pending" };
  createError: unknown;
  getError: unknown;

  async get(name: string): Promise<ContainerGroup | undefined> {
    this.calls.push({ method: "get", name });
    if (this.getError) throw this.getError;
    return this.groups.get(name);
  }

  async create(name: string, group: ContainerGroup): Promise<CreateResult> {
    this.calls.push({ method: "create", name, group });
    if (this.createError) throw this.createError;
    this.groups.set(name, group);
    return this.createResult;
  }

  async logs(groupName: string, containerName: string, tail?: number): Promise<string | undefined> {
    this.calls.push({ method: "logs", groupName, containerName, tail });
    return this.logSnapshots.length > 1 ? this.logSnapshots.shift() : this.logSnapshots[0];
  }

  async delete(name: string): Promise<"deleted" | "notFound"> {
    this.calls.push({ method: "delete", name });
    return this.groups.delete(name) ? "deleted" : "notFound";
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

function contextWithLog() {
  const lines: Array<{ level: LogLevel; message: string }> = [];
  const context = new InvocationContext({
    functionName: "containerGroupActivity",
    invocationId: "inv-1",
    logHandler: (level, ...args) => lines.push({ level, message: args.map(String).join(" ") }),
  });
  return { context, lines, streamed: () => lines.filter((l) => l.message.startsWith(`${LABEL} | `)).map((l) => l.message.slice(LABEL.length + 3)) };
}

function containerSpec(container: Record<string, unknown>): ContainerSpec {
  const parsed = parseJobDefinition({ id: "azure_container_instances", maxActiveRuns: 1, container }, "test");
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.job.container;
}

const GROUP = "azure-tutorial-container";
const REF: AttemptRef = { jobId: "azure_container_instances", runId: "run-1", attempt: 1, groupName: GROUP };
const LABEL = "[azure_container_instances run run-1 attempt 1]";

function createInput(failIfExists: boolean): CreateContainerGroupInput {
  return {
    ...REF,
    region: "eastus",
    container: containerSpec({ groupName: GROUP, image: "hello-world:latest", cpu: 1, memoryInGB: 1.5, failIfExists }),
  };
}

function existingGroup(owner: { jobId: string; runId: string; attempt: number }, provisioningState = "Succeeded"): ContainerGroup {
  const group = toContainerGroup({ groupName: GROUP, region: "eastus", container: createInput(false).container, owner });
  return { ...group, provisioningState };
}

function groupInState(state: "Running" | "Terminated", exitCode?: number): ContainerGroup {
  const group = existingGroup(REF);
  const [container] = group.containers;
  return { ...group, containers: [{ ...container!, instanceView: { currentState: { state, exitCode } } }] };
}

const T = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, "0")}.000000000Z`;

describe("createContainerGroup", () => {
  it("creates the group when none exists, tagged with this attempt, and logs where and what it started", async () => {
    const aci = new FakeAci();
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(true), context);

    expect(result).toEqual({ kind: "created", alreadyOurs: false, resourceGroup: "rg-aci-jobs-test", operationStatus: "Pending" });
    expect(aci.methods()).toEqual(["get", "create"]);
    const created = aci.calls[1] as Extract<Call, { method: "create" }>;
    expect(created.name).toBe(GROUP);
    expect(created.group.location).toBe("eastus");
    expect(created.group.tags).toEqual({ [OWNERSHIP_TAGS.job]: "azure_container_instances", [OWNERSHIP_TAGS.runId]: "run-1", [OWNERSHIP_TAGS.attempt]: "1" });
    expect(lines).toEqual([
      {
        level: "information",
        message: `${LABEL} container group ${GROUP} accepted in eastus (image hello-world:latest, 1 CPU, 1.5 GB); provisioning underway`,
      },
    ]);
  });

  it("returns a terminal refusal of the existence check (403) as rejected instead of throwing it for retry", async () => {
    const aci = new FakeAci();
    aci.getError = new AciError("AuthorizationFailed", "The client has no authorization to read container groups", false, 403);
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(true), contextWithLog().context);
    expect(result).toEqual({ kind: "rejected", code: "AuthorizationFailed", message: "The client has no authorization to read container groups" });
    expect(aci.methods()).toEqual(["get"]);
  });

  it("finds its own group on a retried create and neither deletes nor sends the PUT again", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, existingGroup(REF, "Creating"));
    const { context } = contextWithLog();
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(true), context);

    expect(result).toEqual({ kind: "created", alreadyOurs: true, resourceGroup: "rg-aci-jobs-test", operationStatus: "Creating" });
    expect(aci.methods()).toEqual(["get"]);
  });

  it("leaves someone else's group alone and reports it when fail_if_exists is set", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, existingGroup({ jobId: "azure_container_instances", runId: "run-0", attempt: 1 }));
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(true), context);

    expect(result).toEqual({ kind: "exists", owner: "run run-0 of job azure_container_instances" });
    expect(aci.methods()).toEqual(["get"]);
    expect(aci.groups.has(GROUP)).toBe(true);
    expect(lines.map((l) => l.level)).toEqual(["warning"]);
  });

  it("treats this run's earlier attempt as someone else's group", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, existingGroup({ ...REF, attempt: 0 }));
    const { context } = contextWithLog();
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(true), context);
    expect(result).toEqual({ kind: "exists", owner: "run run-1 of job azure_container_instances" });
  });

  it("deletes the old group first and then creates its own when fail_if_exists is false", async () => {
    // Ours on purpose: Airflow PUTs over the old group, which would not restart a finished container.
    const aci = new FakeAci();
    aci.groups.set(GROUP, { ...existingGroup(REF), tags: { owner: "a person" } });
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(false), context);

    expect(result).toEqual({ kind: "created", alreadyOurs: false, resourceGroup: "rg-aci-jobs-test", operationStatus: "Pending", replaced: "something other than aci-jobs" });
    expect(aci.methods()).toEqual(["get", "delete", "create"]);
    expect(lines[0]).toEqual({ level: "information", message: `${LABEL} replacing container group ${GROUP} left by something other than aci-jobs` });
  });

  it("returns ARM's terminal refusal as rejected, with code and message, and logs it as an error", async () => {
    const aci = new FakeAci();
    aci.createError = new AciError("InaccessibleImage", "The image 'hello-world:latest' is not accessible", false);
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(true), context);

    expect(result).toEqual({ kind: "rejected", code: "InaccessibleImage", message: "The image 'hello-world:latest' is not accessible" });
    expect(lines).toEqual([
      { level: "error", message: `${LABEL} ARM rejected container group ${GROUP}: InaccessibleImage: The image 'hello-world:latest' is not accessible` },
    ]);
  });

  it("throws a transient failure so the retry policy retries it", async () => {
    const aci = new FakeAci();
    const busy = new AciError("ServerBusy", "try again", true, 503);
    aci.createError = busy;
    const { context } = contextWithLog();
    // Thrown as Durable will store it: ARM's code first, so the run can classify a failure from its message.
    await expect(createContainerGroupActivities(aci).createContainerGroup(createInput(true), context)).rejects.toThrow(/^ServerBusy \(HTTP 503\): try again$/u);
  });

  it("throws a transient failure of the existence check without creating anything", async () => {
    const aci = new FakeAci();
    aci.getError = new AciError("TooManyRequests", "slow down", true, 429);
    const { context } = contextWithLog();
    await expect(createContainerGroupActivities(aci).createContainerGroup(createInput(true), context)).rejects.toThrow(/^TooManyRequests \(HTTP 429\): slow down$/u);
    expect(aci.methods()).toEqual(["get"]);
  });
});

describe("observeContainerGroup", () => {
  const observeInput = (cursor: LogCursor, previousPhase: "running" | null) => ({ ...REF, redact: [], cursor, previousPhase });

  it("reports gone when the group was deleted outside aci-jobs", async () => {
    const aci = new FakeAci();
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci).observeContainerGroup(observeInput(START_OF_LOG, null), context);
    expect(result).toEqual({ kind: "gone" });
    expect(lines.map((l) => l.level)).toEqual(["warning"]);
  });

  it("streams a running container's log to the function log exactly once across overlapping snapshots", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logSnapshots = [
      `${T(1)} start\n${T(2)} same\n`,
      // The next snapshot repeats the first, then adds an identical line with the same timestamp and one more.
      `${T(1)} start\n${T(2)} same\n${T(2)} same\n${T(3)} end\n`,
    ];
    const activities = createContainerGroupActivities(aci);
    const { context, streamed } = contextWithLog();

    const first = await activities.observeContainerGroup(observeInput(START_OF_LOG, null), context);
    expect(first.kind).toBe("observed");
    if (first.kind !== "observed") return;
    expect(first.state.phase).toBe("running");
    const second = await activities.observeContainerGroup(observeInput(first.cursor, "running"), context);

    expect(streamed()).toEqual(["start", "same", "same", "end"]);
    expect(second).toMatchObject({ kind: "observed", cursor: { lastTimestamp: T(3), linesAtLastTimestamp: 1, emitted: 4 } });
    // The look's result goes into history: the cursor and how much was new, never the snapshot itself.
    expect(Object.keys(second).sort()).toEqual(["cursor", "events", "fresh", "kind", "provisioningState", "restartCount", "state"]);
    expect(second).toMatchObject({ fresh: { lines: 2, bytes: "same\n".length + "end\n".length } });
    expect(aci.calls.filter((c) => c.method === "logs")).toEqual([
      { method: "logs", groupName: GROUP, containerName: GROUP, tail: undefined },
      { method: "logs", groupName: GROUP, containerName: GROUP, tail: undefined },
    ]);
  });

  it("reads only the log's tail when it reaches back past the cursor, and the whole log when it does not", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    const cursor = { lastTimestamp: T(2), linesAtLastTimestamp: 1, textsAtLastTimestamp: ["two"], emitted: 2 };
    const { context, streamed } = contextWithLog();
    const activities = createContainerGroupActivities(aci);
    // A tail of 3 lines that starts before the cursor's time: enough.
    aci.logSnapshots = [`${T(1)} one\n${T(2)} two\n${T(3)} three\n`];
    await activities.observeContainerGroup({ ...observeInput(cursor, "running"), readTail: 3 }, context);
    expect(aci.calls.filter((c) => c.method === "logs").map((c) => (c as { tail?: number }).tail)).toEqual([3]);
    expect(streamed()).toEqual(["three"]);

    // A full tail that starts after the cursor's time may have skipped lines: read the whole log.
    aci.calls.length = 0;
    aci.logSnapshots = [`${T(4)} four\n${T(5)} five\n`, `${T(1)} one\n${T(2)} two\n${T(3)} three\n${T(4)} four\n${T(5)} five\n`];
    const result = await activities.observeContainerGroup({ ...observeInput({ ...cursor, lastTimestamp: T(2) }, "running"), readTail: 2 }, context);
    expect(aci.calls.filter((c) => c.method === "logs").map((c) => (c as { tail?: number }).tail)).toEqual([2, undefined]);
    expect(result).toMatchObject({ kind: "observed", cursor: { lastTimestamp: T(5), emitted: 5 } });
  });

  it("logs a phase change once and stays quiet while the phase stays the same", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logSnapshots = [undefined];
    const activities = createContainerGroupActivities(aci);
    const { context, lines } = contextWithLog();

    await activities.observeContainerGroup(observeInput(START_OF_LOG, null), context);
    await activities.observeContainerGroup(observeInput(START_OF_LOG, "running"), context);
    expect(lines).toEqual([{ level: "information", message: `${LABEL} container group ${GROUP}: running` }]);
  });

  it("keeps the cursor when a running container has no log yet", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logSnapshots = [undefined];
    const { context } = contextWithLog();
    const result = await createContainerGroupActivities(aci).observeContainerGroup(observeInput(START_OF_LOG, null), context);
    expect(result).toMatchObject({ kind: "observed", cursor: START_OF_LOG });
  });

  it("does not fetch logs once the container exited: the final read belongs to collectContainerLogs", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Terminated", 0));
    const cursor: LogCursor = { lastTimestamp: T(1), linesAtLastTimestamp: 1, textsAtLastTimestamp: ["earlier line"], emitted: 1 };
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci).observeContainerGroup(observeInput(cursor, "running"), context);

    expect(aci.methods()).toEqual(["get"]);
    expect(result).toMatchObject({ kind: "observed", state: { phase: "exited", exitCode: 0 }, cursor });
    expect(lines).toEqual([{ level: "information", message: `${LABEL} container group ${GROUP}: container exited with code 0` }]);
  });
});

describe("collectContainerLogs", () => {
  const numbered = (from: number, count: number, width = 0) =>
    Array.from({ length: count }, (_, i) => `2026-01-01T01:00:00.${String(from + i).padStart(9, "0")}Z line ${from + i}${"x".repeat(width)}\n`).join("");

  it("reports lines missed when a stopped container's log was cut to 1,000 lines after the cursor", async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [numbered(500, 1_000)];
    const cursor: LogCursor = { lastTimestamp: "2026-01-01T01:00:00.000000009Z", linesAtLastTimestamp: 1, textsAtLastTimestamp: ["earlier line"], emitted: 10 };
    const { context, lines, streamed } = contextWithLog();
    const result = await createContainerGroupActivities(aci).collectContainerLogs({ ...REF, redact: [], resultLogs: "none" as const, cursor, stopped: true }, context);

    expect(result.linesMissed).toBe(true);
    expect(result.available).toBe(true);
    expect(result.cursor.emitted).toBe(1_010);
    expect(result.tail).toHaveLength(50);
    expect(result.tail.at(-1)).toBe("line 1499");
    expect(streamed()).toHaveLength(1_000);
    expect(lines.filter((l) => l.level === "warning")).toEqual([
      { level: "warning", message: `${LABEL} some log lines may be missing: ACI keeps only the last 1,000 lines / 16 KB of a stopped container's log` },
    ]);
  });

  it("also takes a stopped container's log of 16 KB or more as possibly cut", async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [numbered(100, 200, 60)];
    const cursor: LogCursor = { lastTimestamp: "2026-01-01T01:00:00.000000009Z", linesAtLastTimestamp: 1, textsAtLastTimestamp: ["earlier line"], emitted: 10 };
    const { context } = contextWithLog();
    const result = await createContainerGroupActivities(aci).collectContainerLogs({ ...REF, redact: [], resultLogs: "none" as const, cursor, stopped: true }, context);
    expect(result.linesMissed).toBe(true);
  });

  it("reports nothing missed for a stopped container's short log, which ACI keeps whole", async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [numbered(100, 5)];
    const cursor: LogCursor = { lastTimestamp: "2026-01-01T01:00:00.000000009Z", linesAtLastTimestamp: 1, textsAtLastTimestamp: ["earlier line"], emitted: 10 };
    const { context, lines, streamed } = contextWithLog();
    const result = await createContainerGroupActivities(aci).collectContainerLogs({ ...REF, redact: [], resultLogs: "none" as const, cursor, stopped: true }, context);
    expect(result).toMatchObject({ linesMissed: false, available: true, tail: ["line 100", "line 101", "line 102", "line 103", "line 104"] });
    expect(streamed()).toEqual(["line 100", "line 101", "line 102", "line 103", "line 104"]);
    expect(lines.filter((l) => l.level === "warning")).toEqual([]);
  });

  it("emits only the lines the watch has not streamed yet", async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [numbered(0, 4)];
    const cursor: LogCursor = { lastTimestamp: "2026-01-01T01:00:00.000000001Z", linesAtLastTimestamp: 1, textsAtLastTimestamp: ["earlier line"], emitted: 2 };
    const { context, streamed } = contextWithLog();
    const result = await createContainerGroupActivities(aci).collectContainerLogs({ ...REF, redact: [], resultLogs: "none" as const, cursor, stopped: true }, context);
    expect(streamed()).toEqual(["line 2", "line 3"]);
    expect(result.tail).toEqual(["line 0", "line 1", "line 2", "line 3"]);
    expect(result.cursor.emitted).toBe(4);
  });

  it("says the log is unavailable and keeps the cursor when ACI has no log", async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [undefined];
    const { context } = contextWithLog();
    const result = await createContainerGroupActivities(aci).collectContainerLogs({ ...REF, redact: [], resultLogs: "none" as const, cursor: START_OF_LOG, stopped: true }, context);
    expect(result).toEqual({ cursor: START_OF_LOG, tail: [], linesMissed: false, available: false });
  });
});

describe("deleteContainerGroup", () => {
  it("reports deleted when the group existed", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, existingGroup(REF));
    const { context, lines } = contextWithLog();
    expect(await createContainerGroupActivities(aci).deleteContainerGroup({ ...REF, redact: [] }, context)).toEqual({ kind: "deleted" });
    expect(lines).toEqual([{ level: "information", message: `${LABEL} container group ${GROUP} deleted` }]);
  });

  it("reports alreadyGone when there was nothing to delete", async () => {
    const aci = new FakeAci();
    const { context, lines } = contextWithLog();
    expect(await createContainerGroupActivities(aci).deleteContainerGroup({ ...REF, redact: [] }, context)).toEqual({ kind: "alreadyGone" });
    expect(lines).toEqual([{ level: "information", message: `${LABEL} container group ${GROUP} was already gone` }]);
  });
});

describe("terminal refusals come back as results, not retried throws", () => {
  const forbidden = () => new AciError("AuthorizationFailed", "The client does not have authorization", false, 403);

  it("observe returns failed for a 403", async () => {
    const aci = new FakeAci();
    aci.getError = forbidden();
    const result = await createContainerGroupActivities(aci).observeContainerGroup({ ...REF, redact: [], cursor: START_OF_LOG, previousPhase: null }, contextWithLog().context);
    expect(result).toEqual({ kind: "failed", code: "AuthorizationFailed", message: "The client does not have authorization" });
  });

  it("collect returns an unavailable log with the reason for a terminal refusal", async () => {
    const aci = new FakeAci();
    aci.logs = async () => {
      throw forbidden();
    };
    const result = await createContainerGroupActivities(aci).collectContainerLogs({ ...REF, redact: [], resultLogs: "none" as const, cursor: START_OF_LOG, stopped: true }, contextWithLog().context);
    expect(result).toMatchObject({ available: false, tail: [], error: "AuthorizationFailed: The client does not have authorization" });
  });

  it("delete returns failed for a 403 and still throws a transient fault for the retry policy", async () => {
    const aci = new FakeAci();
    aci.delete = async () => {
      throw forbidden();
    };
    expect(await createContainerGroupActivities(aci).deleteContainerGroup({ ...REF, redact: [] }, contextWithLog().context)).toMatchObject({ kind: "failed", code: "AuthorizationFailed" });
    aci.delete = async () => {
      throw new AciError("ServerBusy", "try later", true, 503);
    };
    await expect(createContainerGroupActivities(aci).deleteContainerGroup({ ...REF, redact: [] }, contextWithLog().context)).rejects.toThrow(/^ServerBusy \(HTTP 503\): try later$/u);
  });
});

describe("an identity that cannot get a token", () => {
  // What AciClient makes of DefaultAzureCredential's AggregateAuthenticationError (src/credentials.ts).
  const noToken = () => new AciError("CredentialUnavailable", "ChainedTokenCredential authentication failed.", false);

  it("ends the attempt at create, where nothing exists yet", async () => {
    const aci = new FakeAci();
    aci.getError = noToken();
    const result = await createContainerGroupActivities(aci).createContainerGroup(createInput(false), contextWithLog().context);
    expect(result).toMatchObject({ kind: "rejected", code: "CredentialUnavailable" });
  });

  it("is thrown for Durable to retry once the group exists: watching, reading the log and deleting go on", async () => {
    const aci = new FakeAci();
    aci.getError = noToken();
    const activities = createContainerGroupActivities(aci);
    await expect(activities.observeContainerGroup({ ...REF, redact: [], cursor: START_OF_LOG, previousPhase: null }, contextWithLog().context)).rejects.toThrow(/CredentialUnavailable/u);
    aci.logs = async () => {
      throw noToken();
    };
    await expect(activities.collectContainerLogs({ ...REF, redact: [], resultLogs: "none" as const, cursor: START_OF_LOG, stopped: true }, contextWithLog().context)).rejects.toThrow(/CredentialUnavailable/u);
    aci.delete = async () => {
      throw noToken();
    };
    await expect(activities.deleteContainerGroup({ ...REF, redact: [] }, contextWithLog().context)).rejects.toThrow(/CredentialUnavailable/u);
  });
});

describe("observeContainerGroup racing a delete from outside", () => {
  it("reports gone when the group disappears between the GET and the log read", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logs = async () => {
      throw new AciError("ResourceNotFound", "The Resource 'Microsoft.ContainerInstance/containerGroups/x' was not found.", false, 404);
    };
    const result = await createContainerGroupActivities(aci).observeContainerGroup({ ...REF, redact: [], cursor: START_OF_LOG, previousPhase: null }, contextWithLog().context);
    expect(result).toEqual({ kind: "gone" });
  });
});

describe("deleteContainerGroup when the create's fate is unknown (onlyIfOwned)", () => {
  it("leaves a group of that name that belongs to someone else alone", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, existingGroup({ jobId: "other_job", runId: "run-9", attempt: 1 }));
    const result = await createContainerGroupActivities(aci).deleteContainerGroup({ ...REF, redact: [], onlyIfOwned: true }, contextWithLog().context);
    expect(result).toEqual({ kind: "notOurs", owner: "run run-9 of job other_job" });
    expect(aci.groups.has(GROUP)).toBe(true);
  });

  it("deletes this attempt's own group; an absent one was never created, unless an earlier DELETE of ours may have removed it", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, existingGroup({ jobId: REF.jobId, runId: REF.runId, attempt: REF.attempt }));
    const activities = createContainerGroupActivities(aci);
    expect(await activities.deleteContainerGroup({ ...REF, redact: [], onlyIfOwned: true }, contextWithLog().context)).toEqual({ kind: "deleted" });
    expect(await activities.deleteContainerGroup({ ...REF, redact: [], onlyIfOwned: true }, contextWithLog().context)).toEqual({ kind: "neverCreated" });
    expect(await activities.deleteContainerGroup({ ...REF, redact: [], onlyIfOwned: true, earlierDeleteMayHaveWorked: true }, contextWithLog().context)).toEqual({
      kind: "deleted",
    });
  });

  it("says so first when a failed delete may have gone through, so the next try can tell", async () => {
    const aci = new FakeAci();
    aci.delete = async () => {
      const lost = new AciError("ECONNRESET", "socket hang up", true);
      lost.mayHaveBeenCarriedOut = true;
      throw lost;
    };
    await expect(createContainerGroupActivities(aci).deleteContainerGroup({ ...REF, redact: [] }, contextWithLog().context)).rejects.toThrow(
      /^The DELETE may have gone through\. ECONNRESET: socket hang up$/u,
    );
  });
});

/** A secret store in a map: terminal failures by name, or every call failing transiently. */
class FakeSecrets implements SecretResolver {
  readonly values = new Map<string, string>();
  readonly unavailable = new Map<string, string>();
  /** Earlier values of a rotated secret, which redaction must still hide. */
  readonly earlier: string[] = [];
  transientFault: Error | undefined;
  readonly resolved: string[][] = [];

  async resolve(references: readonly SecretReference[]): Promise<SecretResolution> {
    this.resolved.push(references.map(secretKey));
    if (this.transientFault) throw this.transientFault;
    for (const reference of references) {
      const code = this.unavailable.get(reference.keyVaultSecret);
      if (code) return { ok: false, secret: reference.keyVaultSecret, code, message: `Secret ${reference.keyVaultSecret}: ${code}.` };
    }
    return { ok: true, values: new Map(references.map((r) => [secretKey(r), this.values.get(r.keyVaultSecret) ?? ""])) };
  }

  async redactionValues(references: readonly SecretReference[]) {
    const resolved = await this.resolve(references);
    return resolved.ok ? { ok: true as const, values: [...resolved.values.values(), ...this.earlier] } : resolved;
  }
}

const DB_PASSWORD = "s3cr3t-db-password";
const API_TOKEN = "tok_9f8e7d6c5b4a";

function secretsWithValues(): FakeSecrets {
  const secrets = new FakeSecrets();
  secrets.values.set("db-password", DB_PASSWORD);
  secrets.values.set("api-token", API_TOKEN);
  return secrets;
}

function createInputWithSecrets(): CreateContainerGroupInput {
  return {
    ...REF,
    region: "eastus",
    container: containerSpec({
      groupName: GROUP,
      image: "busybox",
      environment: { PLAIN: "visible", DB_PASSWORD: keyVaultSecret("db-password"), API_TOKEN: keyVaultSecret("api-token") },
    }),
  };
}

const REDACT = [keyVaultSecret("db-password"), keyVaultSecret("api-token")];

describe("createContainerGroup with Key Vault references", () => {
  it("resolves every reference before touching ACI and sends the values as secure values", async () => {
    const aci = new FakeAci();
    const secrets = secretsWithValues();
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci, secrets).createContainerGroup(createInputWithSecrets(), context);

    expect(result).toMatchObject({ kind: "created" });
    expect(secrets.resolved).toEqual([["db-password", "api-token"]]);
    const created = aci.calls.find((c) => c.method === "create") as Extract<Call, { method: "create" }>;
    expect(created.group.containers[0]!.environmentVariables).toEqual([
      { name: "PLAIN", value: "visible" },
      { name: "DB_PASSWORD", secureValue: DB_PASSWORD },
      { name: "API_TOKEN", secureValue: API_TOKEN },
    ]);
    expect(JSON.stringify(lines)).not.toContain(DB_PASSWORD);
    expect(JSON.stringify(result)).not.toContain(DB_PASSWORD);
  });

  it("returns secretUnavailable naming the secret, and sends nothing to ACI, when a secret is missing", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, existingGroup({ jobId: "other", runId: "old", attempt: 1 }));
    const secrets = secretsWithValues();
    secrets.unavailable.set("api-token", "SecretNotFound");
    const { context, lines } = contextWithLog();
    const input = { ...createInputWithSecrets(), container: { ...createInputWithSecrets().container, failIfExists: false } };
    const result = await createContainerGroupActivities(aci, secrets).createContainerGroup(input, context);

    expect(result).toEqual({ kind: "secretUnavailable", secret: "api-token", code: "SecretNotFound", message: "Secret api-token: SecretNotFound." });
    // Not even the existence check, and the other run's group (fail_if_exists false) is not replaced.
    expect(aci.calls).toEqual([]);
    expect(lines).toEqual([
      {
        level: "error",
        message: `${LABEL} Key Vault secret api-token could not be read (SecretNotFound): Secret api-token: SecretNotFound.; no container group was created`,
      },
    ]);
  });

  it("throws a transient Key Vault fault for the retry policy, with nothing sent to ACI", async () => {
    const aci = new FakeAci();
    const secrets = secretsWithValues();
    secrets.transientFault = new SecretStoreUnavailableError("db-password", "Throttled", "Key Vault could not be read for secret db-password (429 Throttled)");
    // Thrown as every transient fault is, so its stack does not reach history either; the message names the secret only.
    await expect(createContainerGroupActivities(aci, secrets).createContainerGroup(createInputWithSecrets(), contextWithLog().context)).rejects.toThrow(
      /^SecretStoreUnavailableError: Key Vault could not be read for secret db-password \(429 Throttled\)$/u,
    );
    expect(aci.calls).toEqual([]);
  });

  it("redacts a value that ARM quotes back in a refusal", async () => {
    const aci = new FakeAci();
    aci.createError = new AciError("InvalidEnvironmentVariable", `The value '${DB_PASSWORD}' is invalid`, false, 400);
    const { context, lines } = contextWithLog();
    const result = await createContainerGroupActivities(aci, secretsWithValues()).createContainerGroup(createInputWithSecrets(), context);
    expect(result).toEqual({ kind: "rejected", code: "InvalidEnvironmentVariable", message: "The value '***' is invalid" });
    expect(JSON.stringify(lines)).not.toContain(DB_PASSWORD);
  });
});

describe("redaction of container output", () => {
  const observeInput = (cursor: LogCursor) => ({ ...REF, redact: REDACT, cursor, previousPhase: "running" as const });
  const collectInput = (resultLogs: "none" | "last" | "all", cursor: LogCursor = START_OF_LOG) => ({ ...REF, redact: REDACT, resultLogs, cursor, stopped: true });

  it("observe streams redacted lines and keeps the cursor's remembered texts free of values", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logSnapshots = [`${T(1)} connecting with ${DB_PASSWORD}\n${T(1)} token=${API_TOKEN}\n`];
    const { context, lines, streamed } = contextWithLog();
    const result = await createContainerGroupActivities(aci, secretsWithValues()).observeContainerGroup(observeInput(START_OF_LOG), context);

    expect(streamed()).toEqual(["connecting with ***", "token=***"]);
    expect(result).toMatchObject({ kind: "observed", cursor: { textsAtLastTimestamp: ["connecting with ***", "token=***"], emitted: 2 } });
    expect(JSON.stringify([result, lines])).not.toMatch(new RegExp(`${DB_PASSWORD}|${API_TOKEN}`, "u"));
  });

  it("observe lines up later snapshots against the redacted cursor, so no line repeats", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logSnapshots = [`${T(1)} pw ${DB_PASSWORD}\n`, `${T(1)} pw ${DB_PASSWORD}\n${T(1)} pw ${DB_PASSWORD}\n`];
    const activities = createContainerGroupActivities(aci, secretsWithValues());
    const { context, streamed } = contextWithLog();
    const first = await activities.observeContainerGroup(observeInput(START_OF_LOG), context);
    if (first.kind !== "observed") throw new Error(first.kind);
    await activities.observeContainerGroup(observeInput(first.cursor), context);
    expect(streamed()).toEqual(["pw ***", "pw ***"]);
  });

  it("observe keeps looking while Key Vault does not answer: the state is reported, no line is read or emitted, the cursor stays", async () => {
    // A Key Vault outage must not blind the watch: after 30 minutes without a look it would delete a healthy container.
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logSnapshots = [`${T(1)} ${DB_PASSWORD}\n`];
    const secrets = secretsWithValues();
    secrets.transientFault = new SecretStoreUnavailableError("db-password", "ServiceUnavailable", "Key Vault could not be read for secret db-password");
    const { context, lines, streamed } = contextWithLog();
    const result = await createContainerGroupActivities(aci, secrets).observeContainerGroup(observeInput(START_OF_LOG), context);
    expect(result).toMatchObject({ kind: "observed", state: { phase: "running" }, cursor: START_OF_LOG });
    expect(aci.calls.map((call) => call.method)).toEqual(["get"]);
    expect(streamed()).toEqual([]);
    expect(lines.map((l) => l.message).join("\n")).not.toContain(DB_PASSWORD);
    expect(lines.map((l) => l.message).join("\n")).toMatch(/output withheld/u);
  });

  it("observe withholds output, keeping the cursor, while a secret cannot be read at all", async () => {
    const aci = new FakeAci();
    aci.groups.set(GROUP, groupInState("Running"));
    aci.logSnapshots = [`${T(1)} ${DB_PASSWORD}\n`];
    const secrets = secretsWithValues();
    secrets.unavailable.set("db-password", "SecretDisabled");
    const { context, lines, streamed } = contextWithLog();
    const result = await createContainerGroupActivities(aci, secrets).observeContainerGroup(observeInput(START_OF_LOG), context);
    expect(result).toMatchObject({ kind: "observed", cursor: START_OF_LOG });
    expect(aci.methods()).toEqual(["get"]);
    expect(streamed()).toEqual([]);
    expect(lines.filter((l) => l.level === "warning").map((l) => l.message)).toEqual([
      `${LABEL} container output withheld: Key Vault secret db-password could not be read (SecretDisabled): Secret db-password: SecretDisabled., so its value could not be hidden`,
    ]);
  });

  it("observe redacts ACI's events too", async () => {
    const aci = new FakeAci();
    const group = groupInState("Running");
    const [container] = group.containers;
    aci.groups.set(GROUP, {
      ...group,
      containers: [{ ...container!, instanceView: { ...container!.instanceView, events: [{ type: "Normal", name: "Started", message: `Started container with args --password ${DB_PASSWORD}`, count: 1 }] } }],
    });
    aci.logSnapshots = [undefined];
    const result = await createContainerGroupActivities(aci, secretsWithValues()).observeContainerGroup(observeInput(START_OF_LOG), contextWithLog().context);
    expect(JSON.stringify(result)).not.toContain(DB_PASSWORD);
  });

  it("collect redacts the function log, cursor, tail and result lines, each line of a multi-line value included", async () => {
    const aci = new FakeAci();
    const secrets = secretsWithValues();
    secrets.values.set("api-token", "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5P\n-----END KEY-----");
    aci.logSnapshots = [`${T(1)} db=${DB_PASSWORD}\n${T(2)} -----BEGIN KEY-----\n${T(2)} QUJDREVGR0hJSktMTU5P\n${T(2)} -----END KEY-----\n${T(3)} done\n`];
    const { context, lines, streamed } = contextWithLog();
    const result = await createContainerGroupActivities(aci, secrets).collectContainerLogs(collectInput("all"), context);

    const expected = ["db=***", "***", "***", "***", "done"];
    expect(streamed()).toEqual(expected);
    expect(result.tail).toEqual(expected);
    expect(result.lines).toEqual(expected);
    expect(JSON.stringify([result, lines])).not.toMatch(/s3cr3t|QUJDREVG|BEGIN KEY/u);
  });

  it("collect hides a rotated secret's earlier value, which the running container may still have", async () => {
    const aci = new FakeAci();
    const secrets = secretsWithValues();
    secrets.earlier.push("the-old-db-password");
    aci.logSnapshots = [`${T(1)} using the-old-db-password\n`];
    const result = await createContainerGroupActivities(aci, secrets).collectContainerLogs(collectInput("last"), contextWithLog().context);
    expect(result.lines).toEqual(["using ***"]);
  });

  it("collect withholds the log when a secret cannot be read to hide it, and throws for a transient fault", async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [`${T(1)} ${DB_PASSWORD}\n`];
    const secrets = secretsWithValues();
    secrets.unavailable.set("db-password", "ForbiddenByRbac");
    const { context, streamed } = contextWithLog();
    const activities = createContainerGroupActivities(aci, secrets);
    const result = await activities.collectContainerLogs(collectInput("all"), context);
    expect(result).toEqual({
      cursor: START_OF_LOG,
      tail: [],
      linesMissed: false,
      available: false,
      error: "container output withheld: Key Vault secret db-password could not be read (ForbiddenByRbac): Secret db-password: ForbiddenByRbac., so its value could not be hidden",
    });
    expect(streamed()).toEqual([]);
    expect(aci.calls).toEqual([]);

    secrets.unavailable.clear();
    secrets.transientFault = new SecretStoreUnavailableError("db-password", "Throttled", "busy");
    await expect(activities.collectContainerLogs(collectInput("all"), context)).rejects.toThrow(/^SecretStoreUnavailableError: busy$/u);
    expect(aci.calls).toEqual([]);
  });
});

describe("collectContainerLogs: resultLogs (Airflow's xcom_all)", () => {
  const input = (resultLogs: "none" | "last" | "all", stopped = true) => ({ ...REF, redact: [], resultLogs, cursor: START_OF_LOG, stopped });
  const snapshot = `${T(1)} first\n${T(2)} second\n${T(3)} last line\n`;

  it('"all" returns every line of the final snapshot', async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [snapshot];
    expect((await createContainerGroupActivities(aci).collectContainerLogs(input("all"), contextWithLog().context)).lines).toEqual(["first", "second", "last line"]);
  });

  it('"last" returns the last line only, as Airflow\'s logs[-1:]', async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [snapshot];
    expect((await createContainerGroupActivities(aci).collectContainerLogs(input("last"), contextWithLog().context)).lines).toEqual(["last line"]);
  });

  it('"none" returns no lines, only the bounded tail', async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [snapshot];
    const result = await createContainerGroupActivities(aci).collectContainerLogs(input("none"), contextWithLog().context);
    expect(result).not.toHaveProperty("lines");
    expect(result.tail).toEqual(["first", "second", "last line"]);
  });

  it('"all" read before the container stopped is cut to what ACI keeps after stop (1,000 lines), newest kept', async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [Array.from({ length: 1_500 }, (_, i) => `2026-01-01T01:00:00.${String(i).padStart(9, "0")}Z l${i}\n`).join("")];
    const result = await createContainerGroupActivities(aci).collectContainerLogs(input("all", false), contextWithLog().context);
    expect(result.lines).toHaveLength(1_000);
    expect(result.lines?.[0]).toBe("l500");
    expect(result.lines?.at(-1)).toBe("l1499");
  });

  it("returns no lines when ACI has no log", async () => {
    const aci = new FakeAci();
    aci.logSnapshots = [undefined];
    expect(await createContainerGroupActivities(aci).collectContainerLogs(input("all"), contextWithLog().context)).not.toHaveProperty("lines");
  });
});
