/**
 * @module
 * The lazily computed state machine (aci-rest-api.md §6): given a deployment and "now", the provisioning
 * state, the group and container instance views, the async-operation status and each container's log window.
 *
 * Timeline from the moment the deployment was accepted:
 *   [0, pendingMs)                    provisioning Pending, containers have no instanceView
 *   [pendingMs, pendingMs+creatingMs) provisioning Creating, containers Waiting; Pulling then Pulled events
 *   then                              init containers run one after another, then the containers start
 *                                     (Created, Started) and provisioning is Succeeded
 * A container that exits is restarted per restart policy with Kubernetes-style back-off (10 s doubling to 5 min).
 */
import type { ContainerPlan, Deployment } from "./planDeployment";
import { formatIsoMillis, formatIsoSeconds } from "./formatTime";
import type { RestartPolicy } from "./validateContainerGroup";

export type ProvisioningState = "Pending" | "Creating" | "Succeeded" | "Failed" | "Unhealthy" | "Repairing";
export type GroupState = "Pending" | "Running" | "Succeeded" | "Failed" | "Stopped";
export type OperationStatus = "Pending" | "Creating" | "Succeeded" | "Failed" | "Canceled";

export interface ContainerStateView {
  readonly state: "Waiting" | "Running" | "Terminated";
  readonly startTime?: string;
  readonly exitCode?: number;
  readonly finishTime?: string;
  readonly detailStatus: string;
}

export interface EventView {
  readonly count: number;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly name: string;
  readonly message: string;
  readonly type: "Normal" | "Warning";
}

export interface ContainerInstanceView {
  readonly restartCount: number;
  readonly currentState: ContainerStateView;
  readonly previousState?: ContainerStateView;
  readonly events: readonly EventView[];
}

/** The run whose output `listLogs` shows: lines written in [startedAt, endsAt] that are due by now. */
export interface LogWindow {
  readonly startedAt: number;
  readonly endsAt: number;
  readonly running: boolean;
}

export interface ContainerView {
  readonly name: string;
  readonly instanceView?: ContainerInstanceView;
  readonly logWindow?: LogWindow;
  /** Exit code once the container has terminated for good (no restart coming). */
  readonly finalExitCode?: number;
}

export interface OperationError {
  readonly code: string;
  readonly message: string;
}

export interface DeploymentView {
  readonly provisioningState: ProvisioningState;
  readonly groupState: GroupState;
  readonly groupEvents: readonly EventView[];
  readonly initContainers: readonly ContainerView[];
  readonly containers: readonly ContainerView[];
  readonly operationStatus: Exclude<OperationStatus, "Canceled">;
  readonly operationError?: OperationError;
}

/** How long an evicted Spot group stays in each of Unhealthy and Repairing before switching (emulator's choice). */
const SPOT_REPAIR_CYCLE_MS = 60_000;

/** aci-rest-api.md §6: provisioning fails after 30 minutes. */
export const CREATE_TIMEOUT_MS = 30 * 60_000;
const FIRST_BACK_OFF_MS = 10_000;
const MAX_BACK_OFF_MS = 300_000;

export function computeDeploymentView(deployment: Deployment, now: number): DeploymentView {
  const creatingAt = deployment.acceptedAt + deployment.pendingMs;
  const startAt = creatingAt + deployment.creatingMs;
  const failure = deployment.failure;
  const noViews = (plans: readonly ContainerPlan[]): ContainerView[] => plans.map(({ name }) => ({ name }));

  if (now < creatingAt) {
    return pendingGroup(deployment, noViews, "Pending", "Pending");
  }
  if (failure?.kind === "provisioning") {
    // The failure is reported where it happens: before any container is scheduled (capacity, quota...).
    const events = new EventLog();
    events.add(failure.code, "Warning", failure.message, creatingAt);
    return {
      ...pendingGroup(deployment, noViews, "Failed", "Failed"),
      groupEvents: events.toViews(),
      operationError: { code: failure.code, message: failure.message },
    };
  }

  const pulledAt = creatingAt + Math.floor((deployment.creatingMs * 2) / 3);
  const waitingBeforeStart = (plan: ContainerPlan, pullCompletes: boolean): ContainerView => {
    const events = new EventLog();
    events.add("Pulling", "Normal", `pulling image "${plan.image}"`, creatingAt);
    if (pullCompletes && now >= pulledAt) events.add("Pulled", "Normal", `Successfully pulled image "${plan.image}"`, pulledAt);
    return { name: plan.name, instanceView: { restartCount: 0, currentState: waitingSince(creatingAt), events: events.toViews() } };
  };

  if (failure?.kind === "createTimeout") {
    const timedOut = now >= deployment.acceptedAt + CREATE_TIMEOUT_MS;
    return {
      provisioningState: timedOut ? "Failed" : "Creating",
      groupState: "Pending",
      groupEvents: [],
      initContainers: deployment.initContainers.map((plan) => waitingBeforeStart(plan, false)),
      containers: deployment.containers.map((plan) => waitingBeforeStart(plan, false)),
      operationStatus: timedOut ? "Failed" : "Creating",
      // ARM's generic timeout error (seen in deployments whose resource never finished provisioning).
      ...(timedOut && {
        operationError: { code: "ResourceDeploymentFailure", message: "The resource provision operation did not complete within the allowed timeout period." },
      }),
    };
  }

  if (failure?.kind === "pullFailure") {
    const failed = now >= startAt;
    const viewOf = (plan: ContainerPlan): ContainerView =>
      plan.name === failure.containerName ? failingPull(plan, failure.eventDetail, creatingAt, Math.floor(deployment.creatingMs / 2), now) : waitingBeforeStart(plan, true);
    return {
      provisioningState: failed ? "Failed" : "Creating",
      groupState: "Pending",
      groupEvents: [],
      initContainers: deployment.initContainers.map(viewOf),
      containers: deployment.containers.map(viewOf),
      operationStatus: failed ? "Failed" : "Creating",
      ...(failed && { operationError: failure.error }),
    };
  }

  if (now < startAt) {
    return {
      provisioningState: "Creating",
      groupState: "Pending",
      groupEvents: [],
      initContainers: deployment.initContainers.map((plan) => waitingBeforeStart(plan, true)),
      containers: deployment.containers.map((plan) => waitingBeforeStart(plan, true)),
      operationStatus: "Creating",
    };
  }

  // Init containers run to completion one after another; the containers start when all have exited 0.
  const initContainers: ContainerView[] = [];
  let nextStart: number | undefined = startAt;
  let failedInit: { name: string; exitCode: number } | undefined;
  for (const plan of deployment.initContainers) {
    if (nextStart === undefined || now < nextStart) {
      initContainers.push(waitingBeforeStart(plan, true));
      nextStart = undefined;
      continue;
    }
    const run = runContainer(plan, nextStart, "Never", now, pullEventsBefore(plan, creatingAt, pulledAt));
    initContainers.push(run);
    if (run.finalExitCode === undefined) nextStart = undefined;
    else if (run.finalExitCode !== 0) {
      failedInit = { name: plan.name, exitCode: run.finalExitCode };
      nextStart = undefined;
    } else nextStart = run.logWindow?.endsAt;
  }
  if (nextStart === undefined || failedInit) {
    const containers = deployment.containers.map((plan) => waitingBeforeStart(plan, true));
    if (!failedInit) {
      return { provisioningState: "Creating", groupState: "Pending", groupEvents: [], initContainers, containers, operationStatus: "Creating" };
    }
    const error = {
      code: "InitContainerFailed",
      message: `The init container '${failedInit.name}' in container group '${deployment.groupName}' exited with code ${failedInit.exitCode}.`,
    };
    return {
      provisioningState: "Failed",
      groupState: deployment.restartPolicy === "Never" ? "Failed" : "Pending",
      groupEvents: [],
      initContainers,
      containers,
      operationStatus: "Failed",
      operationError: error,
    };
  }

  const mainStart = nextStart;
  if (failure?.kind === "spotEviction" && now >= mainStart + failure.afterMs) {
    // Evicted: the containers are gone and the group cycles Unhealthy ↔ Repairing without running again.
    const evictedAt = mainStart + failure.afterMs;
    const events = new EventLog();
    events.add("SpotEvicted", "Warning", `The Spot container group '${deployment.groupName}' was evicted to reclaim capacity.`, evictedAt);
    const repairing = Math.floor((now - evictedAt) / SPOT_REPAIR_CYCLE_MS) % 2 === 1;
    return {
      provisioningState: repairing ? "Repairing" : "Unhealthy",
      groupState: "Pending",
      groupEvents: events.toViews(),
      initContainers,
      containers: deployment.containers.map((plan) => waitingBeforeStart(plan, true)),
      operationStatus: "Succeeded",
    };
  }
  const containers = deployment.containers.map((plan) =>
    runContainer(plan, mainStart, deployment.restartPolicy, now, pullEventsBefore(plan, creatingAt, pulledAt)),
  );
  const unhealthy = failure?.kind === "unhealthy";
  return {
    provisioningState: unhealthy ? "Unhealthy" : "Succeeded",
    groupState: groupStateOf(containers, deployment.restartPolicy),
    groupEvents: [],
    initContainers,
    containers,
    // The poller treats any status other than Succeeded/Failed/Canceled as still running (§4.2), so an
    // Unhealthy deployment ends its operation as Failed; the code is the emulator's choice.
    operationStatus: unhealthy ? "Failed" : "Succeeded",
    ...(unhealthy && {
      operationError: { code: "ContainerGroupUnhealthy", message: `The container group '${deployment.groupName}' is unhealthy.` },
    }),
  };
}

/** Whether a view's operation has settled (the SDK poller stops on these). */
export function isSettled(view: DeploymentView): boolean {
  return view.operationStatus === "Succeeded" || view.operationStatus === "Failed";
}

function pendingGroup(
  deployment: Deployment,
  noViews: (plans: readonly ContainerPlan[]) => ContainerView[],
  provisioningState: "Pending" | "Failed",
  operationStatus: "Pending" | "Failed",
): DeploymentView {
  return {
    provisioningState,
    groupState: "Pending",
    groupEvents: [],
    initContainers: noViews(deployment.initContainers),
    containers: noViews(deployment.containers),
    operationStatus,
  };
}

function groupStateOf(containers: readonly ContainerView[], policy: RestartPolicy): GroupState {
  if (containers.some((container) => container.finalExitCode === undefined)) return "Running";
  // §6: Failed is possible only under Never; OnFailure and Always never leave a failed container behind.
  return policy === "Never" && containers.some((container) => container.finalExitCode !== 0) ? "Failed" : "Succeeded";
}

function waitingSince(at: number): ContainerStateView {
  // Shape of ContainerGroupsGet_Failed.json: Waiting with an empty detailStatus and a startTime.
  return { state: "Waiting", startTime: formatIsoSeconds(at), detailStatus: "" };
}

function pullEventsBefore(plan: ContainerPlan, creatingAt: number, pulledAt: number): EventLog {
  const events = new EventLog();
  events.add("Pulling", "Normal", `pulling image "${plan.image}"`, creatingAt);
  events.add("Pulled", "Normal", `Successfully pulled image "${plan.image}"`, pulledAt);
  return events;
}

/** Image pull retried with back-off forever (a Failed group "may keep trying", §6); events as in the troubleshooting doc. */
function failingPull(plan: ContainerPlan, detail: string, firstAttemptAt: number, attemptMs: number, now: number): ContainerView {
  const events = new EventLog();
  let attemptAt = firstAttemptAt;
  for (let attempt = 1; attemptAt <= now; attempt++) {
    events.add("Pulling", "Normal", `pulling image "${plan.image}"`, attemptAt);
    const failedAt = attemptAt + attemptMs;
    if (failedAt > now) break;
    events.add("Failed", "Warning", `Failed to pull image "${plan.image}": ${detail}`, failedAt);
    events.add("BackOff", "Normal", `Back-off pulling image "${plan.image}"`, failedAt);
    attemptAt = failedAt + backOffMs(attempt);
  }
  return { name: plan.name, instanceView: { restartCount: 0, currentState: waitingSince(firstAttemptAt), events: events.toViews() } };
}

/** Runs a container from `firstStart`, restarting it per policy, and reports where it is at `now`. */
function runContainer(plan: ContainerPlan, firstStart: number, policy: RestartPolicy, now: number, events: EventLog): ContainerView {
  const { runMs, exitCode, terminationReason } = plan.script;
  let previousState: ContainerStateView | undefined;
  let lastWindow: LogWindow | undefined;
  let startedAt = firstStart;
  for (let attempt = 0; ; attempt++) {
    if (now < startedAt) {
      // Back-off between runs: Kubernetes' CrashLoopBackOff, which ACI reports as Waiting (§6).
      return {
        name: plan.name,
        instanceView: {
          restartCount: attempt - 1,
          currentState: { state: "Waiting", detailStatus: "CrashLoopBackOff: Back-off restarting failed" },
          ...(previousState && { previousState }),
          events: events.toViews(),
        },
        ...(lastWindow && { logWindow: lastWindow }),
      };
    }
    events.add("Created", "Normal", "Created container", startedAt);
    events.add("Started", "Normal", "Started container", startedAt);
    const finishedAt = startedAt + runMs;
    if (now < finishedAt) {
      return {
        name: plan.name,
        instanceView: {
          restartCount: attempt,
          currentState: { state: "Running", startTime: formatIsoMillis(startedAt), detailStatus: "" },
          ...(previousState && { previousState }),
          events: events.toViews(),
        },
        logWindow: { startedAt, endsAt: finishedAt, running: true },
      };
    }
    const terminated: ContainerStateView = {
      state: "Terminated",
      startTime: formatIsoMillis(startedAt),
      exitCode,
      finishTime: formatIsoMillis(finishedAt),
      detailStatus: terminationReason ?? (exitCode === 0 ? "Completed" : "Error"),
    };
    lastWindow = { startedAt, endsAt: finishedAt, running: false };
    if (!restarts(policy, exitCode, attempt, plan.platformRestarts)) {
      return {
        name: plan.name,
        instanceView: { restartCount: attempt, currentState: terminated, ...(previousState && { previousState }), events: events.toViews() },
        logWindow: lastWindow,
        finalExitCode: exitCode,
      };
    }
    previousState = terminated;
    events.add("BackOff", "Warning", "Back-off restarting failed container", finishedAt);
    startedAt = finishedAt + backOffMs(attempt + 1);
  }
}

/** §6: Always restarts every exit; OnFailure a nonzero one; Never none, except the platform's restarts after a nonzero exit. */
function restarts(policy: RestartPolicy, exitCode: number, attempt: number, platformRestarts: number): boolean {
  if (policy === "Always") return true;
  if (exitCode === 0) return false;
  return policy === "OnFailure" || attempt < platformRestarts;
}

function backOffMs(attempt: number): number {
  return Math.min(FIRST_BACK_OFF_MS * 2 ** (attempt - 1), MAX_BACK_OFF_MS);
}

/** Events as ACI aggregates them: one entry per name and message, with a count and first/last timestamps. */
class EventLog {
  readonly #entries = new Map<string, { name: string; message: string; type: "Normal" | "Warning"; count: number; first: number; last: number }>();

  add(name: string, type: "Normal" | "Warning", message: string, at: number): void {
    const key = `${name}\n${message}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) this.#entries.set(key, { name, message, type, count: 1, first: at, last: at });
    else {
      entry.count++;
      entry.first = Math.min(entry.first, at);
      entry.last = Math.max(entry.last, at);
    }
  }

  toViews(): EventView[] {
    return [...this.#entries.values()]
      .sort((a, b) => a.first - b.first)
      .map(({ name, message, type, count, first, last }) => ({
        count,
        firstTimestamp: formatIsoSeconds(first),
        lastTimestamp: formatIsoSeconds(last),
        name,
        message,
        type,
      }));
  }
}
