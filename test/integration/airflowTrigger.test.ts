/**
 * Airflow's AzureContainerInstanceTrigger tests (airflow-operator.md §8.3), adapted to the watch
 * sub-orchestration that plays the trigger's part: it looks at the group on durable timers until a final
 * state and returns a result instead of yielding an event. Each test runs a whole run through the harness
 * and reads the watch instance (its input, output and history) from the in-process Durable host.
 */
import { describe, expect, it } from "vitest";
import { EventType } from "../../dev/durable-host";
import { watchInstanceId } from "../../src/runs/contracts";
import { POLLS_PER_GENERATION } from "../../src/orchestrations/pollSchedule";
import type { WatchInput, WatchResult } from "../../src/orchestrations/watchContainerGroup";
import { useHarness } from "./harness";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const jobs = [
  { id: "watched", container: { image: "test/ok" } },
  { id: "exits_1", retries: 0, container: { image: "test/exit:1" } },
  { id: "fails", retries: 0, container: { image: "test/failed" } },
  { id: "unhealthy", retries: 0, container: { image: "test/unhealthy" } },
  { id: "slow_start", container: { image: "test/slow-start" } },
  { id: "creating_only", container: { image: "test/creating" } },
  { id: "refused", retries: 0, container: { image: "test/long" } },
  { id: "six_hours", timeout: "7h", container: { image: "test/six-hours" } },
];

const h = useHarness(jobs);

/** The watch of attempt 1 of `runId`: its (last generation's) input, its result and the looks it took. */
async function watchOf(runId: string): Promise<{ input: WatchInput; output: WatchResult; looks: number; timers: number }> {
  const id = watchInstanceId(runId, 1);
  const status = await h.app.host.client.getStatus(id);
  const history = h.app.host.history(id);
  const scheduled = history.filter((e) => e.EventType === EventType.TaskScheduled && (e as unknown as { Name: string }).Name === "observeContainerGroup");
  return {
    input: status.input as WatchInput,
    output: status.output as WatchResult,
    looks: scheduled.length,
    timers: history.filter((e) => e.EventType === EventType.TimerCreated).length,
  };
}

/** The phases the observe activity logged for the run, in order (it logs each change once). */
function phasesLogged(runId: string): string[] {
  const prefix = new RegExp(`^\\[[^\\]]* run ${runId} attempt 1\\] container group [a-z0-9-]+: (provisioning|running|container exited|provisioning failed|unhealthy)`, "u");
  return h.logs.map((r) => prefix.exec(r.message)?.[1]).filter((phase): phase is string => phase !== undefined);
}

describe("AzureContainerInstanceTrigger cases (airflow-operator.md §8.3) against the watch sub-orchestration", () => {
  it("test_serialize: the watch's input is plain JSON naming the attempt's group and its deadline", async () => {
    h.app.emulator!.setBehaviour("test/ok", { runMs: 5 * SECOND });
    const { runId, result } = await h.run("watched");
    const { input } = await watchOf(runId);
    // Airflow serialises (resource_group, name, ci_conn_id, polling_interval). The resource group and the
    // credential are the app's settings, and the poll schedule is code (pollSchedule.ts), so the watch's
    // input names the attempt and its group, the deadline, and where the log (its cursor and its record)
    // and the schedule stand.
    expect(input.ref).toEqual({ jobId: "watched", runId, attempt: 1, groupName: result.attempts[0]!.groupName });
    expect(Object.keys(input).sort()).toEqual(["archive", "createdAt", "cursor", "deadline", "failingSince", "polls", "previousPhase", "redact", "ref"]);
    expect(JSON.parse(JSON.stringify(input))).toEqual(input);
  });

  it("test_run_yields_success_on_terminated_with_exit_code_zero", async () => {
    h.app.emulator!.setBehaviour("test/ok", { runMs: 5 * SECOND });
    const { runId } = await h.run("watched");
    const { output } = await watchOf(runId);
    expect(output.kind).toBe("finished");
    if (output.kind === "finished") expect(output.observed.state).toMatchObject({ phase: "exited", exitCode: 0, detailStatus: "Completed" });
  });

  it("test_run_yields_success_on_succeeded_state: provisioning Succeeded with a container that exited 0", async () => {
    h.app.emulator!.setBehaviour("test/ok", { runMs: 5 * SECOND });
    const { runId, result } = await h.run("watched");
    const { output } = await watchOf(runId);
    expect(output.kind === "finished" && output.observed.provisioningState).toBe("Succeeded");
    expect(result.status).toBe("succeeded");
  });

  it("test_run_yields_error_on_terminated_with_nonzero_exit_code", async () => {
    h.app.emulator!.setBehaviour("test/exit:1", { runMs: 5 * SECOND, exitCode: 1 });
    const { runId, result } = await h.run("exits_1");
    const { output } = await watchOf(runId);
    expect(output.kind === "finished" && output.observed.state).toMatchObject({ phase: "exited", exitCode: 1 });
    expect(result).toMatchObject({ status: "failed", exitCode: 1 });
  });

  it.each([
    ["Failed", "fails", "provisioningFailed"],
    ["Unhealthy", "unhealthy", "unhealthy"],
  ] as const)("test_run_yields_error_on_failed_states[%s]", async (provisioningState, jobId, phase) => {
    h.app.emulator!.setBehaviour("test/failed", { provisioningFailure: { code: "ResourceUnavailable", message: "The requested resource is not available in the location 'eastus' at this moment." } });
    h.app.emulator!.setBehaviour("test/unhealthy", { unhealthy: true, runMs: HOUR });
    const { runId, result } = await h.run(jobId);
    const { output } = await watchOf(runId);
    expect(output.kind === "finished" && output.observed.provisioningState).toBe(provisioningState);
    expect(output.kind === "finished" && output.observed.state.phase).toBe(phase);
    expect(result.status).toBe("failed");
  });

  it("test_run_polls_through_non_terminal_states: Creating → Running → Terminated, three looks", async () => {
    // Creating until 15 s (no container instance view at the first look's Pending/Creating), runs 15-30 s.
    // Looks come at about 13.2, 26.4 and 39.6 s (10 s timers, picked up 3.2 s late by the queue's polling).
    h.app.emulator!.setBehaviour("test/slow-start", { pendingMs: 10 * SECOND, creatingMs: 5 * SECOND, runMs: 15 * SECOND });
    const { runId, result } = await h.run("slow_start");
    const watch = await watchOf(runId);
    expect(result.status).toBe("succeeded");
    expect(phasesLogged(runId)).toEqual(["provisioning", "running", "container exited"]);
    // Airflow: 3 get_state calls and 2 sleeps. The watch also waits before its first look (a group just
    // accepted cannot have finished), so it takes 3 looks after 3 timers.
    expect(watch.looks).toBe(3);
    expect(watch.timers).toBe(3);
  });

  it("test_run_yields_error_event_on_exception: a read ARM refuses ends the watch with the error's text", async () => {
    h.app.emulator!.setBehaviour("test/long", { runMs: HOUR });
    const refused = new Promise<void>((resolve) => {
      const stop = h.onLog((record) => {
        if (!/^\[refused run [^\]]+\] container group [a-z0-9-]+: running$/u.test(record.message)) return;
        stop();
        h.app.emulator!.injectFault({ method: "GET", path: /containerGroups\/[^/]+$/u, times: 1, fault: { status: 403, code: "AuthorizationFailed", message: "read denied" } });
        resolve();
      });
    });
    const { runId, result } = await h.run("refused");
    await refused;
    const { output } = await watchOf(runId);
    // Airflow's trigger turns any exception into an error event; the watch returns `unreachable` with the
    // reason, and the run still reads the log and deletes the group.
    expect(output).toMatchObject({ kind: "unreachable", reason: "AuthorizationFailed: read denied" });
    expect(result.attempts[0]).toMatchObject({ outcome: "failed", cleanup: "deleted" });
  });

  it("test_run_provisioning_state_does_not_yield_until_terminal: Creating → Terminated, two looks", async () => {
    // Still Creating at the first look (10 s); started at 17 s and done at 18 s, before the second look.
    h.app.emulator!.setBehaviour("test/creating", { pendingMs: 2 * SECOND, creatingMs: 15 * SECOND, runMs: 1 * SECOND });
    const { runId, result } = await h.run("creating_only");
    const watch = await watchOf(runId);
    expect(result.status).toBe("succeeded");
    expect(phasesLogged(runId)).toEqual(["provisioning", "container exited"]);
    expect(watch.looks).toBe(2);
  });

  it("test_serialize_deserialize_roundtrip: a long watch continues as new with its state carried in its input", async () => {
    const lines = Array.from({ length: 6 }, (_, hour) => ({ at: hour * HOUR + SECOND, line: `hour ${hour}` }));
    h.app.emulator!.setBehaviour("test/six-hours", { runMs: 6 * HOUR, logs: lines });
    const { runId, result } = await h.run("six_hours");
    const { input, output } = await watchOf(runId);
    expect(result.status).toBe("succeeded");
    // The generation that finished started from the previous one's state, passed through its input as JSON.
    expect(input.polls).toBe(POLLS_PER_GENERATION);
    expect(input.cursor.emitted).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(input))).toEqual(input);
    expect(output.polls).toBeGreaterThan(POLLS_PER_GENERATION);
    // Nothing lost or repeated across generations.
    expect(h.containerLines(runId)).toEqual(lines.map((l) => l.line));
  });
});
