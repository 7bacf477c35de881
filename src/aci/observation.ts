/**
 * @module
 * What a container group's GET says about the job, read the way aci-rest-api.md §6 advises: the
 * container's currentState decides once it exists, provisioningState before that, and events explain.
 */
import type { ContainerGroup, Event as AciEvent } from "@azure/arm-containerinstance";

export type ContainerPhase =
  /** Infrastructure, image pull or start still under way. */
  | { readonly phase: "provisioning"; readonly detail: string }
  | { readonly phase: "running"; readonly startedAt?: string }
  | {
      readonly phase: "exited";
      readonly exitCode: number;
      readonly detailStatus: string;
      readonly oomKilled: boolean;
      readonly startedAt?: string;
      readonly finishedAt?: string;
    }
  | { readonly phase: "provisioningFailed"; readonly reason: "imagePull" | "provisioning"; readonly detail: string }
  | { readonly phase: "unhealthy"; readonly detail: string }
  /** The group was stopped (e.g. `az container stop`) before its container finished. */
  | { readonly phase: "stopped"; readonly detail: string };

export interface GroupObservation {
  readonly state: ContainerPhase;
  readonly provisioningState: string;
  readonly restartCount: number;
  /** The newest few events of the group and its container, oldest first (for the run record). */
  readonly events: readonly string[];
}

export function isFinal(state: ContainerPhase): boolean {
  return state.phase !== "provisioning" && state.phase !== "running";
}

const MAX_EVENTS = 5;

export function observeContainerGroup(group: ContainerGroup, containerName: string): GroupObservation {
  const provisioningState = group.provisioningState ?? "Unknown";
  const container = group.containers.find((c) => c.name === containerName) ?? group.containers[0];
  const view = container?.instanceView;
  const events = [...(group.instanceView?.events ?? []), ...(view?.events ?? [])];
  const eventLines = events
    .slice()
    .sort((a, b) => time(a) - time(b))
    .slice(-MAX_EVENTS)
    .map(describeEvent);
  const restartCount = view?.restartCount ?? 0;
  const base = { provisioningState, restartCount, events: eventLines };
  // ARM's default restart policy is Always (aci-rest-api.md §6).
  const restartPolicy = group.restartPolicy ?? "Always";
  const current = view?.currentState;
  if (is(restartPolicy, "OnFailure")) {
    // OnFailure: ACI reruns a failing container in place until it exits 0, so a nonzero exit (or the
    // back-off before the rerun) is not the end; only exit 0, a failed group or the deadline is.
    const rerunning = restartCount > 0 && !is(current?.state, "Terminated") && !is(current?.state, "Running");
    const failedExit = is(current?.state, "Terminated") && (current?.exitCode ?? -1) !== 0;
    if (rerunning || failedExit) {
      const failure = phaseOf(provisioningState, group.instanceView?.state, undefined, events);
      return { ...base, state: isFinal(failure) ? failure : { phase: "running" } };
    }
    return { ...base, state: phaseOf(provisioningState, group.instanceView?.state, current, events) };
  }
  // Never: the first termination is the job's outcome. ACI may still restart a container after a nonzero
  // exit (aci-rest-api.md §6); that rerun is not the job's. Always: ACI restarts after every exit, and the
  // attempt ends at the first termination seen, as Airflow's operator does. Either way, once a restart has
  // happened the termination is in previousState while the container waits or runs again.
  const firstTermination = restartCount > 0 && is(view?.previousState?.state, "Terminated") ? view?.previousState : undefined;
  return { ...base, state: phaseOf(provisioningState, group.instanceView?.state, firstTermination ?? current, events) };
}

interface ContainerStateView {
  state?: string;
  exitCode?: number;
  detailStatus?: string;
  startTime?: Date;
  finishTime?: Date;
}

/** ARM state strings compared as ARM compares them: case-insensitively. */
function is(value: string | undefined, expected: string): boolean {
  return value !== undefined && value.toLowerCase() === expected.toLowerCase();
}

function phaseOf(provisioningState: string, groupState: string | undefined, current: ContainerStateView | undefined, events: readonly AciEvent[]): ContainerPhase {
  // A container that has terminated tells the outcome even when the group's state moved on.
  if (is(current?.state, "Terminated")) {
    const exitCode = current?.exitCode ?? -1;
    const detailStatus = current?.detailStatus ?? "";
    return {
      phase: "exited",
      exitCode,
      detailStatus,
      // 137 = 128 + SIGKILL, what the kernel's OOM killer leaves behind (docker run exit codes).
      oomKilled: exitCode === 137 || /OOMKilled/iu.test(detailStatus),
      ...iso("startedAt", current?.startTime),
      ...iso("finishedAt", current?.finishTime),
    };
  }
  // A failed pull that a later pull succeeded after (ACI retries pulls) is history, not the current state.
  const lastPulled = Math.max(Number.NEGATIVE_INFINITY, ...events.filter((event) => event.name === "Pulled").map(time));
  const pullFailure = events.find((event) => isImagePullFailure(event) && time(event) > lastPulled);
  if (is(provisioningState, "Failed") || is(provisioningState, "Canceled")) {
    return pullFailure
      ? { phase: "provisioningFailed", reason: "imagePull", detail: bounded(pullFailure.message ?? "image pull failed") }
      : { phase: "provisioningFailed", reason: "provisioning", detail: bounded(`provisioning state ${provisioningState}. ${failureDetail(events)}`) };
  }
  if (is(provisioningState, "Unhealthy") || is(provisioningState, "Repairing")) {
    return { phase: "unhealthy", detail: bounded(`provisioning state ${provisioningState}. ${failureDetail(events)}`) };
  }
  if (is(groupState, "Stopped")) {
    return { phase: "stopped", detail: "the container group was stopped before its container finished" };
  }
  if (is(current?.state, "Running")) return { phase: "running", ...iso("startedAt", current?.startTime) };
  if (pullFailure && is(current?.state, "Waiting")) {
    // Waiting with a failed pull never ends on its own (aci-rest-api.md §6): report it instead of waiting.
    return { phase: "provisioningFailed", reason: "imagePull", detail: bounded(pullFailure.message ?? "image pull failed") };
  }
  const detail = current?.state ? `container ${current.state}` : `provisioning ${provisioningState}`;
  return { phase: "provisioning", detail };
}

/** Messages from ARM and ACI end up in run records and custom status, which must stay small. */
export function bounded(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function isImagePullFailure(event: AciEvent): boolean {
  const message = event.message ?? "";
  return (
    (event.name === "Failed" && /pull/iu.test(message)) ||
    (event.name === "BackOff" && /pull/iu.test(message)) ||
    /InaccessibleImage|RegistryErrorResponse/u.test(message)
  );
}

function failureDetail(events: readonly AciEvent[]): string {
  const warnings = events.filter((e) => e.type === "Warning" || e.name === "Failed" || e.name === "FailedMount");
  const last = (warnings.length > 0 ? warnings : events).at(-1);
  return last ? describeEvent(last) : "no events recorded";
}

function describeEvent(event: AciEvent): string {
  const count = (event.count ?? 1) > 1 ? ` (x${event.count})` : "";
  return bounded(`${event.name ?? "Event"}: ${event.message ?? ""}${count}`.trim(), 300);
}

const time = (event: AciEvent) => (event.lastTimestamp ?? event.firstTimestamp)?.getTime() ?? 0;

function iso<K extends string>(key: K, date: Date | undefined): Partial<Record<K, string>> {
  return date ? ({ [key]: date.toISOString() } as Record<K, string>) : {};
}
