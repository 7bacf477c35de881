import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { loadJobs } from "../../../src/jobs";
import { parseJobDefinition, type JobSpec } from "../../../src/jobs/definition";
import type { RunInput, RunTrigger } from "../../../src/runs/contracts";
import type { RunSlots, RunState, SlotClaim } from "../../../src/runs/runSlots";
import { findRun, newRunId, scheduledRunId, startRun, type RunClient } from "../../../src/runs/startRun";

const notFound = (id: string) =>
  new Error(
    `DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${id}.`,
  );

function status(instanceId: string, runtimeStatus: df.OrchestrationRuntimeStatus, input?: unknown): df.DurableOrchestrationStatus {
  return {
    name: "runJob",
    instanceId,
    createdTime: new Date("2026-01-01T00:00:00Z"),
    lastUpdatedTime: new Date("2026-01-01T00:00:10Z"),
    input,
    output: null,
    runtimeStatus,
  };
}

/** Instances by id; getStatus answers 404 the way the real client does for unknown ids. */
class FakeRunClient implements RunClient {
  readonly instances = new Map<string, df.DurableOrchestrationStatus>();
  readonly started: Array<{ name: string; options: df.StartNewOptions | undefined }> = [];
  readonly statusRequests: Array<{ id: string; options: df.GetStatusOptions | undefined }> = [];
  startError: unknown;
  statusError: unknown;

  async startNew(name: string, options?: df.StartNewOptions): Promise<string> {
    if (this.startError) throw this.startError;
    this.started.push({ name, options });
    return options?.instanceId ?? "generated";
  }

  async getStatus(id: string, options?: df.GetStatusOptions): Promise<df.DurableOrchestrationStatus> {
    this.statusRequests.push({ id, options });
    if (this.statusError) throw this.statusError;
    const found = this.instances.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Only a cancel raises events; these tests start and read runs. */
  async raiseEvent(): Promise<void> {
    throw new Error("raiseEvent is not expected here");
  }
}

class FakeRunSlots implements RunSlots {
  readonly claims: Array<{ jobId: string; runId: string; limit: number; stateOf: (runId: string) => Promise<RunState> }> = [];
  readonly releases: Array<{ jobId: string; runId: string }> = [];
  answer: SlotClaim = { acquired: true, slot: 0 };
  releaseError: unknown;

  async claim(jobId: string, runId: string, limit: number, stateOf: (runId: string) => Promise<RunState>): Promise<SlotClaim> {
    this.claims.push({ jobId, runId, limit, stateOf });
    return this.answer;
  }

  async release(jobId: string, runId: string): Promise<boolean> {
    this.releases.push({ jobId, runId });
    if (this.releaseError) throw this.releaseError;
    return true;
  }
  async holds(): Promise<boolean> {
    return false;
  }
  async holders(): Promise<Array<{ runId: string; claimedAt: string }>> {
    return [];
  }
  async claimFree(): Promise<boolean> {
    return false;
  }
}

const tutorial = loadJobs().get("azure_container_instances")!;
const TRIGGER: RunTrigger = { kind: "schedule", slot: "2026-03-02T00:00:00.000Z", pastDue: false };

function jobWithoutRegion(): JobSpec {
  const parsed = parseJobDefinition({ id: "anywhere", maxActiveRuns: 3, container: { image: "busybox" } }, "anywhere");
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.job;
}

describe("startRun", () => {
  it("starts nothing when a run with this id exists already (a started schedule slot)", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    client.instances.set("run-1", status("run-1", df.OrchestrationRuntimeStatus.Completed));
    const outcome = await startRun({ client, job: tutorial, runId: "run-1", trigger: TRIGGER, defaultRegion: "westus", slots });

    expect(outcome).toEqual({ started: false, reason: "alreadyStarted", runId: "run-1" });
    expect(slots.claims).toEqual([]);
    expect(client.started).toEqual([]);
  });

  it("starts nothing when the job's active-run limit is reached, and names the active runs", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    slots.answer = { acquired: false, activeRunIds: ["run-0"] };
    const outcome = await startRun({ client, job: tutorial, runId: "run-1", trigger: TRIGGER, defaultRegion: "westus", slots });

    expect(outcome).toEqual({ started: false, reason: "limitReached", activeRunIds: ["run-0"] });
    expect(slots.claims.map(({ jobId, runId, limit }) => ({ jobId, runId, limit }))).toEqual([
      { jobId: "azure_container_instances", runId: "run-1", limit: 1 },
    ]);
    expect(client.started).toEqual([]);
  });

  it("starts runJob under the run id with the job snapshot, the job's region, the trigger and the slot it holds", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    const outcome = await startRun({ client, job: tutorial, runId: "run-1", trigger: TRIGGER, defaultRegion: "westus", slots });

    expect(outcome).toEqual({ started: true, runId: "run-1" });
    expect(client.started).toHaveLength(1);
    const [{ name, options }] = client.started as [(typeof client.started)[number]];
    expect(name).toBe("runJob");
    expect(options?.instanceId).toBe("run-1");
    const input = options?.input as RunInput;
    expect(input.runId).toBe("run-1");
    expect(input.job).toEqual(tutorial);
    expect(input.region).toBe("eastus");
    expect(input.trigger).toEqual(TRIGGER);
    expect(input.holdsRunSlot).toBe(true);
  });

  it("records a caller's overrides in the input, and none when there are none", async () => {
    const client = new FakeRunClient();
    const overrides = { environment: { DAY: "2026-02-28" }, cpu: 2 };
    await startRun({ client, job: tutorial, runId: "run-o", trigger: { kind: "http" }, defaultRegion: "westus", slots: new FakeRunSlots(), overrides });
    await startRun({ client, job: tutorial, runId: "run-p", trigger: { kind: "http" }, defaultRegion: "westus", slots: new FakeRunSlots() });
    const [withOverrides, plain] = client.started.map((s) => s.options?.input as RunInput);
    expect(withOverrides?.overrides).toEqual(overrides);
    expect(plain).not.toHaveProperty("overrides");
  });

  it("falls back to the default region for a job that names none", async () => {
    const client = new FakeRunClient();
    await startRun({ client, job: jobWithoutRegion(), runId: "run-2", trigger: { kind: "http" }, defaultRegion: "westus", slots: new FakeRunSlots() });
    expect((client.started[0]?.options?.input as RunInput).region).toBe("westus");
  });

  it("claims no slot and records none held when started without slots (the command-line runner)", async () => {
    const client = new FakeRunClient();
    const outcome = await startRun({ client, job: tutorial, runId: "run-3", trigger: { kind: "cli" }, defaultRegion: "westus" });
    expect(outcome).toEqual({ started: true, runId: "run-3" });
    expect((client.started[0]?.options?.input as RunInput).holdsRunSlot).toBe(false);
  });

  it("gives the slot back when startNew fails, and rethrows the failure", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    const failure = new Error("task hub unavailable");
    client.startError = failure;
    await expect(startRun({ client, job: tutorial, runId: "run-4", trigger: TRIGGER, defaultRegion: "westus", slots })).rejects.toBe(failure);
    expect(slots.releases).toEqual([{ jobId: "azure_container_instances", runId: "run-4" }]);
  });

  it("keeps the slot when startNew failed but the run exists anyway (a start that timed out but went through)", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    const failure = new Error("timeout waiting for the extension");
    client.startNew = async (_name, options) => {
      client.instances.set(options!.instanceId!, { instanceId: options!.instanceId!, runtimeStatus: "Running" } as unknown as df.DurableOrchestrationStatus);
      throw failure;
    };
    const outcome = await startRun({ client, job: tutorial, runId: "run-4b", trigger: TRIGGER, defaultRegion: "westus", slots });
    expect(outcome).toEqual({ started: false, reason: "alreadyStarted", runId: "run-4b" });
    expect(slots.releases).toEqual([]);
  });

  it("treats losing the race to start the same slot as already started, not as a failure", async () => {
    // Two firings of one slot both find no run, both hold the slot (it names the run), and the host refuses
    // the second start: "An Orchestration instance with the status Running already exists."
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    client.startNew = async (_name, options) => {
      client.instances.set(options!.instanceId!, status(options!.instanceId!, df.OrchestrationRuntimeStatus.Running));
      client.startNew = async () => {
        throw new Error("An Orchestration instance with the status Running already exists.");
      };
      return options!.instanceId!;
    };
    const first = startRun({ client, job: tutorial, runId: "slot-run", trigger: TRIGGER, defaultRegion: "westus", slots });
    const second = startRun({ client, job: tutorial, runId: "slot-run", trigger: TRIGGER, defaultRegion: "westus", slots });
    const outcomes = await Promise.all([first, second]);
    expect(outcomes).toContainEqual({ started: true, runId: "slot-run" });
    expect(outcomes).toContainEqual({ started: false, reason: "alreadyStarted", runId: "slot-run" });
    expect(slots.releases).toEqual([]);
  });

  it("rethrows the startNew failure, not the release's, when giving the slot back fails too", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    const failure = new Error("task hub unavailable");
    client.startError = failure;
    slots.releaseError = new Error("storage down");
    await expect(startRun({ client, job: tutorial, runId: "run-5", trigger: TRIGGER, defaultRegion: "westus", slots })).rejects.toBe(failure);
  });

  it("lets the slot store ask whether a holder's run is still active (running, pending, continued, suspended), ended, or not found", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    await startRun({ client, job: tutorial, runId: "run-6", trigger: TRIGGER, defaultRegion: "westus", slots });
    const { stateOf } = slots.claims[0]!;
    const S = df.OrchestrationRuntimeStatus;
    const expected: Array<[df.OrchestrationRuntimeStatus, RunState]> = [
      [S.Running, "active"],
      [S.Pending, "active"],
      [S.ContinuedAsNew, "active"],
      [S.Suspended, "active"],
      [S.Completed, "ended"],
      [S.Failed, "ended"],
      [S.Terminated, "ended"],
      [S.Canceled, "ended"],
    ];
    for (const [runtimeStatus, state] of expected) {
      client.instances.set("holder", status("holder", runtimeStatus));
      expect(await stateOf("holder"), runtimeStatus).toBe(state);
    }
    expect(await stateOf("never-started")).toBe("notFound");
  });
});

describe("findRun", () => {
  it("returns the status with its input", async () => {
    const client = new FakeRunClient();
    const found = status("run-1", df.OrchestrationRuntimeStatus.Running, { runId: "run-1" });
    client.instances.set("run-1", found);
    expect(await findRun(client, "run-1")).toBe(found);
    expect(client.statusRequests).toEqual([{ id: "run-1", options: { showInput: true } }]);
  });

  it("answers undefined for the client's 404 error about an unknown instance", async () => {
    expect(await findRun(new FakeRunClient(), "x")).toBeUndefined();
  });

  it("rethrows any other error", async () => {
    const client = new FakeRunClient();
    client.statusError = new Error("DurableClient error: Durable Functions extension replied with HTTP 500 response.");
    await expect(findRun(client, "x")).rejects.toBe(client.statusError);
  });
});

describe("run ids", () => {
  it("newRunId is job id, compact UTC time and 8 hex characters", () => {
    const id = newRunId("azure_container_instances", new Date("2026-11-28T02:36:08.123Z"));
    expect(id).toMatch(/^azure_container_instances-20261128T023608Z-[0-9a-f]{8}$/u);
  });

  it("newRunId differs between two runs started in the same millisecond", () => {
    const at = new Date("2026-11-28T02:36:08.123Z");
    const ids = new Set(Array.from({ length: 50 }, () => newRunId("job", at)));
    expect(ids.size).toBe(50);
  });

  it("scheduledRunId is one fixed id per job and slot", () => {
    const slot = new Date("2026-03-02T00:00:00.000Z");
    expect(scheduledRunId("azure_container_instances", slot)).toBe("azure_container_instances-scheduled-20260302T000000Z");
    expect(scheduledRunId("azure_container_instances", new Date(slot))).toBe(scheduledRunId("azure_container_instances", slot));
  });
});

describe("startRun while the Durable extension's endpoint is not open yet", () => {
  const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:17071"), { code: "ECONNREFUSED" });

  it("tries the whole start again after a refused connection, so a past-due timer at startup keeps its slot", async () => {
    const client = new FakeRunClient();
    const slots = new FakeRunSlots();
    let refusals = 3;
    const getStatus = client.getStatus.bind(client);
    client.getStatus = async (id, options) => {
      if (refusals-- > 0) throw refused();
      return getStatus(id, options);
    };
    const waits: number[] = [];
    const outcome = await startRun({ client, job: tutorial, runId: "run-at-startup", trigger: TRIGGER, defaultRegion: "westus", slots }, async (ms) => {
      waits.push(ms);
    });
    expect(outcome).toEqual({ started: true, runId: "run-at-startup" });
    expect(waits).toEqual([250, 500, 1_000]);
    expect(client.started.map((start) => start.options?.instanceId)).toEqual(["run-at-startup"]);
  });

  it("gives up after about 8 s of refusals, and never retries any other failure", async () => {
    const client = new FakeRunClient();
    client.getStatus = async () => {
      throw refused();
    };
    const waits: number[] = [];
    await expect(startRun({ client, job: tutorial, runId: "run-x", trigger: TRIGGER, defaultRegion: "westus" }, async (ms) => void waits.push(ms))).rejects.toThrow(/ECONNREFUSED/u);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(7_750);

    const other = new FakeRunClient();
    other.statusError = new Error("HTTP 500 from the extension");
    const none: number[] = [];
    await expect(startRun({ client: other, job: tutorial, runId: "run-y", trigger: TRIGGER, defaultRegion: "westus" }, async (ms) => void none.push(ms))).rejects.toThrow(/HTTP 500/u);
    expect(none).toEqual([]);
  });
});
