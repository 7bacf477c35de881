import type { ContainerGroup, Event as AciEvent } from "@azure/arm-containerinstance";
import { describe, expect, it } from "vitest";
import { isFinal, observeContainerGroup, type ContainerPhase } from "../../../src/aci/observation";

const NAME = "job-run-a1";

interface GroupShape {
  provisioningState?: string;
  state?: string;
  exitCode?: number;
  detailStatus?: string;
  startTime?: Date;
  finishTime?: Date;
  restartCount?: number;
  events?: AciEvent[];
  groupEvents?: AciEvent[];
  /** Leave the container without an instance view (ARM has not reported one yet). */
  noInstanceView?: boolean;
  groupState?: string;
  previousState?: { state: string; exitCode?: number; detailStatus?: string; startTime?: Date; finishTime?: Date };
}

/** A group with one container in the given state, like Airflow's test factory. */
function group(shape: GroupShape, containerName = NAME): ContainerGroup {
  const { provisioningState, state, exitCode, detailStatus, startTime, finishTime, restartCount, events, groupEvents } = shape;
  return {
    osType: "Linux",
    ...(provisioningState ? { provisioningState } : {}),
    ...(groupEvents || shape.groupState ? { instanceView: { ...(groupEvents ? { events: groupEvents } : {}), ...(shape.groupState ? { state: shape.groupState } : {}) } } : {}),
    containers: [
      {
        name: containerName,
        image: "hello-world:latest",
        resources: { requests: { cpu: 1, memoryInGB: 1.5 } },
        ...(shape.noInstanceView
          ? {}
          : {
              instanceView: {
                ...(restartCount === undefined ? {} : { restartCount }),
                ...(events ? { events } : {}),
                currentState: { state, exitCode, detailStatus, startTime, finishTime },
                ...(shape.previousState ? { previousState: shape.previousState } : {}),
              },
            }),
      },
    ],
  };
}

const at = (iso: string) => new Date(iso);
const event = (name: string, message: string, when: string, extra: Partial<AciEvent> = {}): AciEvent => ({
  name,
  message,
  type: "Normal",
  count: 1,
  firstTimestamp: at(when),
  lastTimestamp: at(when),
  ...extra,
});

describe("observeContainerGroup: container state decides once it exists", () => {
  it("reads Terminated with exit code 0 as exited 0 with ISO start and finish times (trigger: success on Terminated 0)", () => {
    const observed = observeContainerGroup(
      group({
        provisioningState: "Succeeded",
        state: "Terminated",
        exitCode: 0,
        detailStatus: "Completed",
        startTime: at("2026-01-01T00:00:05Z"),
        finishTime: at("2026-01-01T00:00:06Z"),
      }),
      NAME,
    );
    expect(observed.state).toEqual({
      phase: "exited",
      exitCode: 0,
      detailStatus: "Completed",
      oomKilled: false,
      startedAt: "2026-01-01T00:00:05.000Z",
      finishedAt: "2026-01-01T00:00:06.000Z",
    });
    expect(observed.provisioningState).toBe("Succeeded");
  });

  it("reads Terminated with exit code 1 as exited 1 (trigger: error on nonzero exit)", () => {
    const { state } = observeContainerGroup(group({ provisioningState: "Succeeded", state: "Terminated", exitCode: 1, detailStatus: "Error" }), NAME);
    expect(state).toMatchObject({ phase: "exited", exitCode: 1, detailStatus: "Error", oomKilled: false });
  });

  it("does not take a detail status that merely contains 'oom' for out-of-memory", () => {
    const { state } = observeContainerGroup(group({ state: "Terminated", exitCode: 1, detailStatus: "no room left on device" }), NAME);
    expect(state).toMatchObject({ phase: "exited", exitCode: 1, oomKilled: false });
  });

  it("marks exit code 137 and an OOMKilled detail status as killed for memory", () => {
    expect(observeContainerGroup(group({ state: "Terminated", exitCode: 137 }), NAME).state).toMatchObject({ oomKilled: true });
    expect(observeContainerGroup(group({ state: "Terminated", exitCode: 1, detailStatus: "OOMKilled" }), NAME).state).toMatchObject({
      oomKilled: true,
    });
  });

  it("reports exit code -1 when a terminated container carries none", () => {
    expect(observeContainerGroup(group({ state: "Terminated" }), NAME).state).toMatchObject({ phase: "exited", exitCode: -1, detailStatus: "" });
  });

  it("lets a terminated container decide even when the group's provisioning state says Failed", () => {
    const { state } = observeContainerGroup(group({ provisioningState: "Failed", state: "Terminated", exitCode: 3 }), NAME);
    expect(state).toMatchObject({ phase: "exited", exitCode: 3 });
  });

  it("reads Running as running with the start time", () => {
    const { state } = observeContainerGroup(
      group({ provisioningState: "Succeeded", state: "Running", startTime: at("2026-01-01T00:00:05Z") }),
      NAME,
    );
    expect(state).toEqual({ phase: "running", startedAt: "2026-01-01T00:00:05.000Z" });
  });
});

describe("observeContainerGroup: provisioning and failures", () => {
  it("reads Creating without an instance view as provisioning (trigger: polls through non-terminal states)", () => {
    const observed = observeContainerGroup(group({ provisioningState: "Creating", noInstanceView: true }), NAME);
    expect(observed.state).toEqual({ phase: "provisioning", detail: "provisioning Creating" });
    expect(observed.restartCount).toBe(0);
    expect(isFinal(observed.state)).toBe(false);
  });

  it("reads a Waiting container without a pull failure as provisioning that names the container state", () => {
    const { state } = observeContainerGroup(
      group({ provisioningState: "Pending", state: "Waiting", events: [event("Pulling", 'pulling image "hello-world:latest"', "2026-01-01T00:00:01Z")] }),
      NAME,
    );
    expect(state).toEqual({ phase: "provisioning", detail: "container Waiting" });
  });

  it("reports Unknown provisioning when ARM sends no provisioning state", () => {
    expect(observeContainerGroup(group({ noInstanceView: true }), NAME)).toMatchObject({
      provisioningState: "Unknown",
      state: { phase: "provisioning", detail: "provisioning Unknown" },
    });
  });

  it("reads Failed with an image pull failure event as an image pull failure carrying the event's message", () => {
    const { state } = observeContainerGroup(
      group({
        provisioningState: "Failed",
        state: "Waiting",
        events: [event("Failed", "Failed to pull image \"nope:latest\": not found", "2026-01-01T00:00:02Z", { type: "Warning" })],
      }),
      NAME,
    );
    expect(state).toEqual({ phase: "provisioningFailed", reason: "imagePull", detail: 'Failed to pull image "nope:latest": not found' });
  });

  it("reads Failed without a pull failure as a provisioning failure explained by the newest warning (trigger: error on Failed)", () => {
    const { state } = observeContainerGroup(
      group({
        provisioningState: "Failed",
        noInstanceView: true,
        groupEvents: [
          event("FailedMount", "mount error(2): Permission denied", "2026-01-01T00:00:02Z", { type: "Warning", count: 3 }),
          event("Scheduled", "assigned to node", "2026-01-01T00:00:01Z"),
        ],
      }),
      NAME,
    );
    expect(state).toEqual({ phase: "provisioningFailed", reason: "provisioning", detail: "provisioning state Failed. FailedMount: mount error(2): Permission denied (x3)" });
  });

  it("says no events were recorded when a Failed group has none", () => {
    expect(observeContainerGroup(group({ provisioningState: "Failed", noInstanceView: true }), NAME).state).toEqual({
      phase: "provisioningFailed",
      reason: "provisioning",
      detail: "provisioning state Failed. no events recorded",
    });
  });

  it("reads Unhealthy and Repairing as unhealthy (trigger: error on Unhealthy)", () => {
    for (const provisioningState of ["Unhealthy", "Repairing"]) {
      const { state } = observeContainerGroup(group({ provisioningState, state: "Running" }), NAME);
      expect(state.phase).toBe("unhealthy");
      expect(state).toMatchObject({ detail: expect.stringContaining(`provisioning state ${provisioningState}.`) });
    }
  });

  it("reports a container Waiting after a failed pull at once instead of waiting for ever", () => {
    // Ours on purpose: Airflow keeps polling a group that stays Waiting; ACI never ends that state itself.
    for (const failure of [
      event("BackOff", 'Back-off pulling image "private.azurecr.io/app:1"', "2026-01-01T00:00:03Z"),
      event("Failed", "InaccessibleImage: The image 'x' in container group 'g' is not accessible", "2026-01-01T00:00:03Z"),
      event("Failed", "RegistryErrorResponse from the registry", "2026-01-01T00:00:03Z"),
    ]) {
      const { state } = observeContainerGroup(group({ provisioningState: "Creating", state: "Waiting", events: [failure] }), NAME);
      expect(state, failure.message).toEqual({ phase: "provisioningFailed", reason: "imagePull", detail: failure.message });
    }
  });

  it("does not fail fast on a pull failure that a later successful pull superseded (ACI retries pulls)", () => {
    const events = [
      event("Failed", 'Failed to pull image "private.azurecr.io/app:1": rpc error: 429 Too Many Requests', "2026-01-01T00:00:03Z"),
      event("Pulled", 'Successfully pulled image "private.azurecr.io/app:1"', "2026-01-01T00:00:09Z"),
    ];
    const { state } = observeContainerGroup(group({ provisioningState: "Creating", state: "Waiting", events }), NAME);
    expect(state.phase).toBe("provisioning");
  });

  it("does not take a BackOff that restarts a crashed container for an image pull failure", () => {
    const { state } = observeContainerGroup(
      group({ provisioningState: "Creating", state: "Waiting", events: [event("BackOff", "Back-off restarting failed container", "2026-01-01T00:00:03Z")] }),
      NAME,
    );
    expect(state.phase).toBe("provisioning");
  });
});

describe("observeContainerGroup: events, restarts and the container it looks at", () => {
  it("does not fail when the group and container have no events (Airflow test_execute_with_missing_events)", () => {
    expect(observeContainerGroup(group({ state: "Running" }), NAME).events).toEqual([]);
  });

  it("merges group and container events, oldest first, keeps the newest five and shows repeat counts", () => {
    const observed = observeContainerGroup(
      group({
        state: "Running",
        groupEvents: [event("G1", "group one", "2026-01-01T00:00:01Z"), event("G2", "group two", "2026-01-01T00:00:04Z")],
        events: [
          event("C6", "six", "2026-01-01T00:00:06Z"),
          event("C2", "two", "2026-01-01T00:00:02Z"),
          event("C3", "three", "2026-01-01T00:00:03Z", { count: 4 }),
          event("C5", "five", "2026-01-01T00:00:05Z"),
        ],
      }),
      NAME,
    );
    expect(observed.events).toEqual(["C2: two", "C3: three (x4)", "G2: group two", "C5: five", "C6: six"]);
  });

  it("reports the container's restart count", () => {
    expect(observeContainerGroup(group({ state: "Running", restartCount: 2 }), NAME).restartCount).toBe(2);
  });

  it("looks at the container named like the group, and at the first container when none has that name", () => {
    const named: ContainerGroup = {
      osType: "Linux",
      containers: [
        { name: "sidecar", image: "x", resources: { requests: { cpu: 1, memoryInGB: 1 } }, instanceView: { currentState: { state: "Running" } } },
        {
          name: NAME,
          image: "y",
          resources: { requests: { cpu: 1, memoryInGB: 1 } },
          instanceView: { currentState: { state: "Terminated", exitCode: 0 } },
        },
      ],
    };
    expect(observeContainerGroup(named, NAME).state.phase).toBe("exited");
    expect(observeContainerGroup(named, "renamed").state.phase).toBe("running");
  });
});

describe("isFinal", () => {
  it("is true exactly for exited, provisioningFailed and unhealthy", () => {
    const phases: Array<[ContainerPhase, boolean]> = [
      [{ phase: "provisioning", detail: "" }, false],
      [{ phase: "running" }, false],
      [{ phase: "exited", exitCode: 0, detailStatus: "", oomKilled: false }, true],
      [{ phase: "provisioningFailed", reason: "imagePull", detail: "" }, true],
      [{ phase: "unhealthy", detail: "" }, true],
    ];
    for (const [state, final] of phases) expect(isFinal(state), state.phase).toBe(final);
  });
});

describe("observeContainerGroup: states changed from outside and platform restarts", () => {
  it("reads a group stopped before its container finished as stopped, not as still provisioning", () => {
    const { state } = observeContainerGroup(group({ provisioningState: "Succeeded", groupState: "Stopped", noInstanceView: true }), NAME);
    expect(state).toEqual({ phase: "stopped", detail: "the container group was stopped before its container finished" });
    expect(isFinal(state)).toBe(true);
  });

  it("reads a canceled provisioning as a provisioning failure", () => {
    expect(observeContainerGroup(group({ provisioningState: "Canceled", noInstanceView: true }), NAME).state).toMatchObject({
      phase: "provisioningFailed",
      reason: "provisioning",
    });
  });

  it("compares ARM state strings case-insensitively", () => {
    expect(observeContainerGroup(group({ provisioningState: "failed", noInstanceView: true }), NAME).state.phase).toBe("provisioningFailed");
    expect(observeContainerGroup(group({ provisioningState: "Succeeded", state: "terminated", exitCode: 0 }), NAME).state.phase).toBe("exited");
  });

  it("takes the first exit as the outcome when ACI restarted a container despite restart policy Never", () => {
    const first = { state: "Terminated", exitCode: 3, detailStatus: "Error", startTime: at("2026-01-01T00:00:05Z"), finishTime: at("2026-01-01T00:00:25Z") };
    const observed = observeContainerGroup(
      group({ provisioningState: "Succeeded", state: "Running", restartCount: 1, previousState: first, startTime: at("2026-01-01T00:00:35Z") }),
      NAME,
    );
    expect(observed.state).toEqual({
      phase: "exited",
      exitCode: 3,
      detailStatus: "Error",
      oomKilled: false,
      startedAt: "2026-01-01T00:00:05.000Z",
      finishedAt: "2026-01-01T00:00:25.000Z",
    });
    expect(observed.restartCount).toBe(1);
  });
});

describe("observeContainerGroup: per restart policy (read from the group, ARM's default Always)", () => {
  const withPolicy = (restartPolicy: "Never" | "OnFailure" | "Always" | undefined, shape: GroupShape): ContainerGroup => ({
    ...group(shape),
    ...(restartPolicy ? { restartPolicy } : {}),
  });
  const failedRun = { state: "Terminated", exitCode: 1, detailStatus: "Error", startTime: at("2026-01-01T00:00:05Z"), finishTime: at("2026-01-01T00:00:25Z") };

  it("Never: the first termination is the outcome, even while the platform reruns it", () => {
    const observed = observeContainerGroup(withPolicy("Never", { provisioningState: "Succeeded", state: "Waiting", restartCount: 1, previousState: failedRun }), NAME);
    expect(observed.state).toMatchObject({ phase: "exited", exitCode: 1 });
  });

  it("OnFailure: a nonzero exit is rerun in place, so it is still running (not final)", () => {
    const terminated = observeContainerGroup(withPolicy("OnFailure", { provisioningState: "Succeeded", state: "Terminated", exitCode: 1, detailStatus: "Error" }), NAME);
    expect(terminated.state).toEqual({ phase: "running" });
    expect(isFinal(terminated.state)).toBe(false);
    const backingOff = observeContainerGroup(
      withPolicy("OnFailure", { provisioningState: "Succeeded", state: "Waiting", detailStatus: "CrashLoopBackOff", restartCount: 2, previousState: failedRun }),
      NAME,
    );
    expect(backingOff.state).toEqual({ phase: "running" });
    const rerun = observeContainerGroup(withPolicy("OnFailure", { provisioningState: "Succeeded", state: "Running", restartCount: 2, previousState: failedRun }), NAME);
    expect(rerun.state.phase).toBe("running");
  });

  it("OnFailure: an exit 0 after reruns is the outcome, with the run's own times", () => {
    const observed = observeContainerGroup(
      withPolicy("OnFailure", {
        provisioningState: "Succeeded",
        state: "Terminated",
        exitCode: 0,
        detailStatus: "Completed",
        startTime: at("2026-01-01T00:01:00Z"),
        finishTime: at("2026-01-01T00:01:10Z"),
        restartCount: 2,
        previousState: failedRun,
      }),
      NAME,
    );
    expect(observed.state).toMatchObject({ phase: "exited", exitCode: 0, startedAt: "2026-01-01T00:01:00.000Z", finishedAt: "2026-01-01T00:01:10.000Z" });
    expect(observed.restartCount).toBe(2);
  });

  it("OnFailure: a group that fails or turns unhealthy while rerunning is still a failure", () => {
    const unhealthy = observeContainerGroup(withPolicy("OnFailure", { provisioningState: "Unhealthy", state: "Terminated", exitCode: 1 }), NAME);
    expect(unhealthy.state.phase).toBe("unhealthy");
  });

  it("Always: the first termination ends the attempt, whether seen directly or as previousState after the restart", () => {
    const direct = observeContainerGroup(withPolicy("Always", { provisioningState: "Succeeded", state: "Terminated", exitCode: 0, detailStatus: "Completed" }), NAME);
    expect(direct.state).toMatchObject({ phase: "exited", exitCode: 0 });
    const restarted = observeContainerGroup(
      withPolicy("Always", { provisioningState: "Succeeded", state: "Running", restartCount: 1, previousState: { ...failedRun, exitCode: 0, detailStatus: "Completed" } }),
      NAME,
    );
    expect(restarted.state).toMatchObject({ phase: "exited", exitCode: 0, finishedAt: "2026-01-01T00:00:25.000Z" });
  });

  it("a group without restartPolicy is read as ARM's default, Always", () => {
    const observed = observeContainerGroup(withPolicy(undefined, { provisioningState: "Succeeded", state: "Running", restartCount: 1, previousState: failedRun }), NAME);
    expect(observed.state).toMatchObject({ phase: "exited", exitCode: 1 });
  });
});
